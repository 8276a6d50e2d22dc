using System.Globalization;
using System.Xml.Linq;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench chart</c>: draws the runs of a <c>--json</c> file as one SVG image, written by hand (no chart library).
/// Up to two panels, one above the other:
/// throughput (records/s), as one curve per bench over the partition count when the runs differ in partitions
/// (repeated runs averaged into one point; a transport run is a dashed ceiling line), else as one bar per run;
/// and end-to-end latency, three bars (p50, p99, p99.9) per <c>e2e</c> run.
/// Points are <c>circle class="point"</c> and bars <c>rect class="bar"</c>, so a script can count them.
/// </summary>
internal static class BenchChart
{
    private const double Width = 860;
    private const double PanelHeight = 420;
    private const double TitleHeight = 40;
    private const double Left = 90;
    private const double Right = 180;
    private const double Top = 50;
    private const double Bottom = 80;
    private const double PlotWidth = Width - Left - Right;
    private const double PlotHeight = PanelHeight - Top - Bottom;
    private const int MaxTicks = 5;
    private const double MaxBarWidth = 60;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];
    private static readonly (string Label, Func<BenchRun, double?> Value)[] Percentiles =
        [("p50", r => r.P50Ms), ("p99", r => r.P99Ms), ("p99.9", r => r.P999Ms)];

    /// <summary>Draws the runs; null when none of them has anything to draw.</summary>
    public static XDocument? Render(IReadOnlyList<BenchRun> runs, string title)
    {
        var panels = new List<XElement>();
        var throughput = runs.Where(r => r.RecordsPerSecond is not null && r.Bench != "e2e").ToList();
        if (throughput.Count > 0)
        {
            panels.Add(throughput.Select(r => r.Partitions).OfType<int>().Distinct().Count() > 1 ? ThroughputCurve(throughput) : ThroughputBars(throughput));
        }

        var latency = runs.Where(r => r.Bench == "e2e" && r.P50Ms is not null).ToList();
        if (latency.Count > 0)
        {
            panels.Add(LatencyBars(latency));
        }

        if (panels.Count == 0)
        {
            return null;
        }

        var height = TitleHeight + (panels.Count * PanelHeight);
        var svg = new XElement(
            Svg + "svg",
            new XAttribute("width", Width),
            new XAttribute("height", height),
            new XAttribute("viewBox", Invariant($"0 0 {Width} {height}")),
            new XAttribute("font-family", "sans-serif"),
            new XAttribute("font-size", 12),
            new XElement(Svg + "rect", new XAttribute("width", Width), new XAttribute("height", height), new XAttribute("fill", "white")),
            Text(Width / 2, 26, title, "middle", fontSize: 18));
        for (var i = 0; i < panels.Count; i++)
        {
            panels[i].SetAttributeValue("transform", Invariant($"translate(0,{TitleHeight + (i * PanelHeight)})"));
            svg.Add(panels[i]);
        }

        return new XDocument(svg);
    }

    /// <summary>records/s over the partition count, one curve per bench; x positions are evenly spaced partition counts.</summary>
    private static XElement ThroughputCurve(List<BenchRun> runs)
    {
        var partitioned = runs.Where(r => r.Partitions is not null).ToList();
        var ceilings = runs.Where(r => r.Bench == "transport").Select(r => r.RecordsPerSecond!.Value).ToList();
        var counts = partitioned.Select(r => r.Partitions!.Value).Distinct().Order().ToList();
        var scale = new YScale(partitioned.Select(r => r.RecordsPerSecond!.Value).Concat(ceilings).Max());
        var panel = Panel("throughput-curve", "Throughput by partition count", "partitions", "records/s", scale, CompactRate);
        double X(int partitions) => Left + (PlotWidth * (counts.IndexOf(partitions) + 0.5) / counts.Count);
        foreach (var count in counts)
        {
            panel.Add(Text(X(count), Top + PlotHeight + 18, count.ToString(CultureInfo.InvariantCulture), "middle"));
        }

        var series = partitioned.GroupBy(r => r.Bench).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var points = series[i]
                .GroupBy(r => r.Partitions!.Value)
                .OrderBy(g => g.Key)
                .Select(g => (Partitions: g.Key, Rate: g.Average(r => r.RecordsPerSecond!.Value)))
                .ToList();
            panel.Add(new XElement(
                Svg + "polyline",
                new XAttribute("class", "series"),
                new XAttribute("fill", "none"),
                new XAttribute("stroke", color),
                new XAttribute("stroke-width", 2),
                new XAttribute("points", string.Join(' ', points.Select(p => Invariant($"{X(p.Partitions):F1},{scale.Y(p.Rate):F1}"))))));
            foreach (var (partitions, rate) in points)
            {
                panel.Add(new XElement(
                    Svg + "circle",
                    new XAttribute("class", "point"),
                    new XAttribute("cx", Invariant($"{X(partitions):F1}")),
                    new XAttribute("cy", Invariant($"{scale.Y(rate):F1}")),
                    new XAttribute("r", 4),
                    new XAttribute("fill", color),
                    new XElement(Svg + "title", Invariant($"{series[i].Key}, {partitions} partitions: {rate:N0} records/s"))));
            }

            panel.Add(LegendEntry(i, series[i].Key, color));
        }

        if (ceilings.Count > 0)
        {
            var y = scale.Y(ceilings.Average());
            panel.Add(new XElement(
                Svg + "line",
                new XAttribute("class", "ceiling"),
                new XAttribute("x1", Left),
                new XAttribute("x2", Left + PlotWidth),
                new XAttribute("y1", Invariant($"{y:F1}")),
                new XAttribute("y2", Invariant($"{y:F1}")),
                new XAttribute("stroke", "#555"),
                new XAttribute("stroke-dasharray", "6 4")));
            panel.Add(LegendEntry(series.Count, "transport ceiling", "#555"));
        }

        return panel;
    }

    /// <summary>One bar of records/s per run, in file order.</summary>
    private static XElement ThroughputBars(List<BenchRun> runs)
    {
        var scale = new YScale(runs.Max(r => r.RecordsPerSecond!.Value));
        var panel = Panel("throughput-bars", "Throughput per run", "run", "records/s", scale, CompactRate);
        var slot = PlotWidth / runs.Count;
        var barWidth = Math.Min(slot * 0.6, MaxBarWidth);
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var center = Left + (slot * (i + 0.5));
            panel.Add(Bar(center - (barWidth / 2), barWidth, run.RecordsPerSecond!.Value, scale, Colors[0], CompactRate));
            var label = run.Partitions is { } partitions ? Invariant($"{run.Bench} ({partitions} p)") : run.Bench;
            panel.Add(Text(center, Top + PlotHeight + 18, label, "middle"));
        }

        return panel;
    }

    /// <summary>p50, p99 and p99.9 of each e2e run, side by side.</summary>
    private static XElement LatencyBars(List<BenchRun> runs)
    {
        var scale = new YScale(runs.SelectMany(r => Percentiles.Select(p => p.Value(r) ?? 0)).Max());
        var panel = Panel("latency-bars", "End-to-end latency per e2e run", "run", "ms", scale, CompactMilliseconds);
        var slot = PlotWidth / runs.Count;
        var barWidth = Math.Min(slot * 0.8 / Percentiles.Length, MaxBarWidth);
        for (var i = 0; i < runs.Count; i++)
        {
            var start = Left + (slot * (i + 0.5)) - (barWidth * Percentiles.Length / 2);
            for (var p = 0; p < Percentiles.Length; p++)
            {
                if (Percentiles[p].Value(runs[i]) is { } value)
                {
                    panel.Add(Bar(start + (barWidth * p), barWidth, value, scale, Colors[p], CompactMilliseconds));
                }
            }

            var label = runs[i].TargetRate is { } rate ? Invariant($"#{i + 1} at {CompactRate(rate)}/s") : Invariant($"#{i + 1}");
            panel.Add(Text(Left + (slot * (i + 0.5)), Top + PlotHeight + 18, label, "middle"));
        }

        for (var p = 0; p < Percentiles.Length; p++)
        {
            panel.Add(LegendEntry(p, Percentiles[p].Label, Colors[p]));
        }

        return panel;
    }

    /// <summary>A panel's frame: title, axes, horizontal grid lines with the y values, axis labels.</summary>
    private static XElement Panel(string kind, string title, string xLabel, string yLabel, YScale scale, Func<double, string> format)
    {
        var panel = new XElement(Svg + "g", new XAttribute("class", "panel " + kind), Text(Left + (PlotWidth / 2), 30, title, "middle", fontSize: 15));
        for (var tick = 0; tick <= scale.Ticks; tick++)
        {
            var value = scale.Step * tick;
            var y = scale.Y(value);
            panel.Add(Line(Left, y, Left + PlotWidth, y, tick == 0 ? "#000" : "#ddd"));
            panel.Add(Text(Left - 8, y + 4, format(value), "end"));
        }

        panel.Add(Line(Left, Top, Left, Top + PlotHeight, "#000"));
        panel.Add(Text(Left + (PlotWidth / 2), Top + PlotHeight + 48, xLabel, "middle"));
        var yLabelElement = Text(24, Top + (PlotHeight / 2), yLabel, "middle");
        yLabelElement.SetAttributeValue("transform", Invariant($"rotate(-90 24 {Top + (PlotHeight / 2):F1})"));
        panel.Add(yLabelElement);
        return panel;
    }

    private static XElement Bar(double x, double width, double value, YScale scale, string color, Func<double, string> format)
    {
        var y = scale.Y(value);
        return new XElement(
            Svg + "g",
            new XElement(
                Svg + "rect",
                new XAttribute("class", "bar"),
                new XAttribute("x", Invariant($"{x:F1}")),
                new XAttribute("y", Invariant($"{y:F1}")),
                new XAttribute("width", Invariant($"{width:F1}")),
                new XAttribute("height", Invariant($"{(Top + PlotHeight) - y:F1}")),
                new XAttribute("fill", color)),
            Text(x + (width / 2), y - 4, format(value), "middle", fontSize: 10));
    }

    private static XElement LegendEntry(int index, string label, string color)
    {
        var y = Top + 10 + (index * 20);
        return new XElement(
            Svg + "g",
            new XAttribute("class", "legend"),
            new XElement(
                Svg + "rect",
                new XAttribute("x", Left + PlotWidth + 20),
                new XAttribute("y", y - 10),
                new XAttribute("width", 12),
                new XAttribute("height", 12),
                new XAttribute("fill", color)),
            Text(Left + PlotWidth + 38, y, label, "start"));
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string color) => new(
        Svg + "line",
        new XAttribute("x1", Invariant($"{x1:F1}")),
        new XAttribute("y1", Invariant($"{y1:F1}")),
        new XAttribute("x2", Invariant($"{x2:F1}")),
        new XAttribute("y2", Invariant($"{y2:F1}")),
        new XAttribute("stroke", color));

    private static XElement Text(double x, double y, string text, string anchor, int fontSize = 12) => new(
        Svg + "text",
        new XAttribute("x", Invariant($"{x:F1}")),
        new XAttribute("y", Invariant($"{y:F1}")),
        new XAttribute("text-anchor", anchor),
        new XAttribute("font-size", fontSize),
        text);

    private static string CompactRate(double value) => value switch
    {
        >= 1_000_000 => Invariant($"{value / 1_000_000:0.##}M"),
        >= 1_000 => Invariant($"{value / 1_000:0.#}k"),
        _ => Invariant($"{value:0}"),
    };

    private static string CompactMilliseconds(double value) => Invariant($"{value:0.##}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A y axis from 0 to the first tick at or above the largest value, at most five ticks of 1, 2 or 5 times a power of ten.</summary>
    private readonly struct YScale
    {
        public YScale(double largest)
        {
            largest = Math.Max(largest, 1e-9);
            var rough = largest / MaxTicks;
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            Step = (rough / magnitude) switch
            {
                <= 1 => magnitude,
                <= 2 => 2 * magnitude,
                <= 5 => 5 * magnitude,
                _ => 10 * magnitude,
            };
            Ticks = (int)Math.Ceiling(largest / Step);
        }

        public double Step { get; }

        public int Ticks { get; }

        public double Max => Step * Ticks;

        public double Y(double value) => Top + (PlotHeight * (1 - (value / Max)));
    }
}
