using OrleansBroker.Cli;

return await CliApplication.RunAsync(args);
