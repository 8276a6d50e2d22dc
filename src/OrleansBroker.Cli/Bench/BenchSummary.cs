using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// One run's results as ordered fields, written two ways: the <c>key=value</c> summary line for scripts, and one
/// JSON object (numbers as JSON numbers) for <c>--json</c> files that <c>bench chart</c> reads.
/// </summary>
internal sealed class BenchSummary
{
    private readonly List<Field> _fields = [];

    public void Add(string key, string text) => _fields.Add(new Field(key, text, IsNumber: false));

    public void Add(string key, double value, string format) =>
        _fields.Add(new Field(key, value.ToString(format, CultureInfo.InvariantCulture), IsNumber: true));

    /// <summary>Adds <c>key=value</c> fields separated by spaces; a value that reads as a finite number becomes a number.</summary>
    public void AddFields(string fields)
    {
        foreach (var token in fields.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var (key, text) = equals < 0 ? (token, "") : (token[..equals], token[(equals + 1)..]);
            _fields.Add(new Field(key, text, ParseNumber(text) is not null));
        }
    }

    /// <summary>The value of a numeric field, or null when the summary has no such number.</summary>
    public double? Number(string key) => _fields.LastOrDefault(f => f.Key == key) is { IsNumber: true } field ? ParseNumber(field.Text) : null;

    /// <summary>The text of a field, or null when the summary has none.</summary>
    public string? Text(string key) => _fields.LastOrDefault(f => f.Key == key) is { Key: not null } field ? field.Text : null;

    public string ToLine() => string.Join(' ', _fields.Select(f => $"{f.Key}={f.Text}"));

    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var field in _fields)
            {
                if (field.IsNumber)
                {
                    writer.WriteNumber(field.Key, ParseNumber(field.Text)!.Value);
                }
                else
                {
                    writer.WriteString(field.Key, field.Text);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Appends the summary to <paramref name="path"/> as one line of JSON (JSON Lines), creating the file when missing.</summary>
    public Task AppendJsonLineAsync(string path) => File.AppendAllTextAsync(path, ToJson() + "\n");

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : null;

    private readonly record struct Field(string Key, string Text, bool IsNumber);
}
