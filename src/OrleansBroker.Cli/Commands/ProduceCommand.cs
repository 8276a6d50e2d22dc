using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker produce</c>: one record per line of standard input.</summary>
internal static class ProduceCommand
{
    public static Command Create()
    {
        var topic = CliOptions.TopicArgument("The topic to produce to.");
        var keySeparator = new Option<string?>("--key-separator", "-k")
        {
            Description = "Split each line at the first occurrence of this text into key and value. "
                + "A line without it is produced without a key.",
        };
        keySeparator.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { Length: 0 })
            {
                result.AddError("--key-separator must not be empty.");
            }
        });
        var command = new Command(
            "produce",
            "Produce each line of standard input (UTF-8) as one record. Input is streamed: records are batched and sent "
            + "while it is read, and the command exits once every record is acknowledged (or reports the failures).")
        {
            topic,
            keySeparator,
        };
        command.SetBrokerAction(async (client, result, cancellationToken) =>
        {
            var separator = result.GetValue(keySeparator) is { } text ? Encoding.UTF8.GetBytes(text) : null;
            await using var producer = client.CreateProducer();
            var window = new ProduceWindow(producer);
            var lines = new LineProducer(producer, window, result.GetRequiredValue(topic), separator);
            var input = PipeReader.Create(Console.OpenStandardInput(), new StreamPipeReaderOptions(bufferSize: 256 * 1024));
            try
            {
                await lines.ProduceAllAsync(input, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C stops reading; what was produced so far is still flushed and reported below.
            }
            finally
            {
                await input.CompleteAsync();
                lines.Dispose();
            }

            await window.DrainAsync();
            return await ProduceWindow.ReportFailuresAsync(window);
        });
        return command;
    }

    /// <summary>Splits a byte stream into lines and produces each without decoding it.</summary>
    private sealed class LineProducer(Producer producer, ProduceWindow window, string topic, byte[]? separator) : IDisposable
    {
        private byte[] _scratch = [];

        public async Task ProduceAllAsync(PipeReader input, CancellationToken cancellationToken)
        {
            while (true)
            {
                var read = await input.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    if (!await ProduceLineAsync(buffer.Slice(0, newline)))
                    {
                        return;
                    }

                    buffer = buffer.Slice(buffer.GetPosition(1, newline));
                }

                if (read.IsCompleted)
                {
                    // The last line may lack its newline.
                    if (!buffer.IsEmpty)
                    {
                        await ProduceLineAsync(buffer);
                    }

                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }

        public void Dispose()
        {
            if (_scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = [];
            }
        }

        /// <summary>Produces one line; false once a record has failed, which ends the input.</summary>
        private async ValueTask<bool> ProduceLineAsync(ReadOnlySequence<byte> line)
        {
            var bytes = line.IsSingleSegment ? line.First : CopyToScratch(line);
            if (!bytes.IsEmpty && bytes.Span[^1] == (byte)'\r')
            {
                bytes = bytes[..^1];
            }

            ReadOnlyMemory<byte>? key = null;
            var value = bytes;
            if (separator is not null && bytes.Span.IndexOf(separator) is var at and >= 0)
            {
                key = bytes[..at];
                value = bytes[(at + separator.Length)..];
            }

            await window.WaitForRoomAsync(bytes.Length);
            if (window.FirstError is not null)
            {
                return false;
            }

            try
            {
                // The producer copies the record before ProduceAsync returns, so the pipe's buffer may move on.
                window.Add(producer.ProduceAsync(topic, key, value), Stopwatch.GetTimestamp());
                return true;
            }
            catch (BrokerException exception)
            {
                window.AddFailure(exception);
                return false;
            }
        }

        private ReadOnlyMemory<byte> CopyToScratch(ReadOnlySequence<byte> line)
        {
            if (_scratch.Length < line.Length)
            {
                Dispose();
                _scratch = ArrayPool<byte>.Shared.Rent(checked((int)line.Length));
            }

            line.CopyTo(_scratch);
            return _scratch.AsMemory(0, (int)line.Length);
        }
    }
}
