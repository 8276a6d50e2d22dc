using System.CommandLine;
using System.Globalization;

namespace OrleansBroker.Cli.Commands;

/// <summary>Option and argument shapes shared by several commands.</summary>
internal static class CliOptions
{
    public static Argument<string> TopicArgument(string description) => new("topic") { Description = description };

    /// <summary>
    /// Makes a value below <paramref name="minimum"/> a usage error. The check reads the typed token itself: a token
    /// that is not a number at all is left to System.CommandLine, which reports it as a conversion error.
    /// </summary>
    public static TOption AtLeast<TOption, T>(TOption option, T minimum)
        where TOption : Option
        where T : struct, IComparable<T>, IParsable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens is [.., var last]
                && T.TryParse(last.Value, CultureInfo.InvariantCulture, out var value)
                && value.CompareTo(minimum) < 0)
            {
                result.AddError($"{option.Name} must be at least {minimum}, not {value}.");
            }
        });
        return option;
    }
}
