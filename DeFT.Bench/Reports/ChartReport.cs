using ScottPlot;

namespace DeFT.Bench.Reports;

/// <summary>
/// A grouped bar chart: for each workload, one bar per method with its median time on a log10 axis, and a
/// black marker at the larger of the two floors. One chart per head config.
/// </summary>
public static class ChartReport
{
    /// <summary>
    /// Draws the charts of <paramref name="records"/>: to <paramref name="path"/> when they share one head config,
    /// else one file per config, named <c>name-HQxHKVxD.png</c>. Returns the files written.
    /// </summary>
    public static List<string> Write(string path, IReadOnlyList<RunRecord> records)
    {
        var configs = records.GroupBy(r => (r.Hq, r.Hkv, r.HeadDim)).ToList();
        var written = new List<string>();
        foreach (var config in configs)
        {
            string file = configs.Count == 1 ? path
                : Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{config.Key.Hq}x{config.Key.Hkv}x{config.Key.HeadDim}.png");
            Draw(file, config.ToList());
            written.Add(file);
        }
        return written;
    }

    private static void Draw(string path, IReadOnlyList<RunRecord> records)
    {
        var groups = records.GroupBy(r => r.Workload).ToList();
        // "auto:tensor-core" and "auto:cuda-core" are one series: the kernel that was asked for.
        static string Requested(RunRecord r) => r.Kernel.Split(':')[0];
        bool severalKernels = records.Select(Requested).Distinct().Count() > 1;
        string Series(RunRecord r) => severalKernels ? $"{r.Method} ({Requested(r)})" : r.Method;
        var methods = records.Select(Series).Distinct().ToList();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        double width = 0.8 / methods.Count;
        var ticks = new List<Tick>();
        for (int m = 0; m < methods.Count; m++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Count; g++)
            {
                var r = groups[g].FirstOrDefault(x => Series(x) == methods[m]);
                if (r?.MedianUs is not double us) continue;
                bars.Add(new Bar { Position = g + (m - (methods.Count - 1) / 2.0) * width, Value = Math.Log10(us), ValueBase = -1,
                    Size = width * 0.95, FillColor = palette.GetColor(m) });
            }
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = methods[m];
        }
        for (int g = 0; g < groups.Count; g++)
        {
            var r = groups[g].First();
            double floor = Math.Max(r.MemoryFloorUs, r.ComputeFloorUs ?? 0);
            var marker = plot.Add.Marker(g, Math.Log10(floor), MarkerShape.HorizontalBar, 30, Colors.Black);
            if (g == 0) marker.LegendText = "floor";
            ticks.Add(new Tick(g, r.Workload.Length > 24 ? r.Workload[..22] + "…" : r.Workload));
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 170; // room for the rotated workload names
        var yTicks = Enumerable.Range(-1, 8).Select(e => new Tick(e, e >= 0 ? $"{Math.Pow(10, e):0} µs" : "0.1 µs")).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(yTicks);
        plot.Axes.Left.Label.Text = "median time (log scale)";
        var first = records[0];
        plot.Title($"DeFT attention per call — Hq {first.Hq} / Hkv {first.Hkv} / D {first.HeadDim} — {first.Device}");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(path, Math.Max(900, 90 * groups.Count + 200), 700);
    }
}
