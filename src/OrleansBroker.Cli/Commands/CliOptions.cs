using System.CommandLine;
using System.CommandLine.Parsing;

namespace OrleansBroker.Cli.Commands;

/// <summary>Option and argument shapes shared by several commands.</summary>
internal static class CliOptions
{
    public static Argument<string> TopicArgument(string description) => new("topic") { Description = description };

    /// <summary>An option whose value must be at least <paramref name="minimum"/>; a smaller one is a usage error.</summary>
    public static Option<T> AtLeast<T>(Option<T> option, T minimum)
        where T : struct, IComparable<T>
    {
        option.Validators.Add(result => Check(result, option.Name, result.GetValueOrDefault<T>(), minimum));
        return option;
    }

    /// <summary>An optional option whose value, when given, must be at least <paramref name="minimum"/>.</summary>
    public static Option<T?> AtLeast<T>(Option<T?> option, T minimum)
        where T : struct, IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T?>() is { } value)
            {
                Check(result, option.Name, value, minimum);
            }
        });
        return option;
    }

    private static void Check<T>(OptionResult result, string name, T value, T minimum)
        where T : IComparable<T>
    {
        if (value.CompareTo(minimum) < 0)
        {
            result.AddError($"{name} must be at least {minimum}, not {value}.");
        }
    }
}
