using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Xmpp.Bench;

/// <summary>Order statistics of a set of durations, in milliseconds.</summary>
internal sealed class Samples
{
    private readonly List<double> _values = [];

    public int Count => _values.Count;

    public void Add(TimeSpan value) => _values.Add(value.TotalMilliseconds);

    public void AddMilliseconds(double value) => _values.Add(value);

    /// <summary>Nearest-rank percentile: with 50 samples p99 is the largest, which is the honest reading of so few.</summary>
    public double Percentile(double p)
    {
        if (_values.Count == 0)
            return double.NaN;
        var sorted = _values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double Median => Percentile(50);

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();

    public double Max => _values.Count == 0 ? double.NaN : _values.Max();
}

/// <summary>A fixed-width text table, so that results paste into Markdown as they are.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    private readonly List<bool[]> _numeric = [];

    public void Row(params object?[] cells)
    {
        _rows.Add(cells.Select(Format).ToArray());
        _numeric.Add(cells.Select(c => c is IFormattable).ToArray());
    }

    private static string Format(object? cell) => cell switch
    {
        null => "",
        double d when double.IsNaN(d) => "n/a",
        double d => d.ToString(d >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };

    public void Print()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var text = new StringBuilder();
        text.Append('|');
        for (var i = 0; i < headers.Length; i++)
            text.Append(' ').Append(headers[i].PadRight(widths[i])).Append(" |");
        text.AppendLine().Append('|');
        for (var i = 0; i < headers.Length; i++)
            text.Append(new string('-', widths[i] + 2)).Append('|');
        text.AppendLine();
        for (var r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            text.Append('|');
            for (var i = 0; i < headers.Length; i++)
            {
                var cell = i < row.Length ? row[i] : "";
                // Numbers right-aligned, text left-aligned, as Markdown readers expect.
                text.Append(' ').Append(i < row.Length && _numeric[r][i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i])).Append(" |");
            }
            text.AppendLine();
        }
        Console.Write(text);
    }
}

internal static class Memory
{
    public static double PeakWorkingSetMiB()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64 / 1048576.0;
    }

    public static string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"process peak working set {PeakWorkingSetMiB():0.0} MiB, GC heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB, allocated so far {GC.GetTotalAllocatedBytes() / 1048576.0:0.0} MiB");
}
