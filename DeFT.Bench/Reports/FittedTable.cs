using Spectre.Console;
using Spectre.Console.Rendering;

namespace DeFT.Bench.Reports;

/// <summary>
/// Console tables that fit the terminal: the full table where its natural width fits, else a compact one with fewer
/// columns. Number columns never wrap (a wrapped number reads as two numbers).
/// </summary>
public static class FittedTable
{
    // Wider than any table here: measuring against it gives the natural (unwrapped) width.
    private const int Unbounded = 10_000;

    /// <summary><paramref name="full"/> when it fits <paramref name="width"/> columns (default: the console's), else <paramref name="compact"/>.</summary>
    public static Table Choose(Table full, Func<Table> compact, int? width = null) =>
        NaturalWidth(full) <= (width ?? AnsiConsole.Profile.Width) ? full : compact();

    /// <summary>The width <paramref name="table"/> takes when nothing in it wraps.</summary>
    public static int NaturalWidth(Table table) =>
        ((IRenderable)table).Measure(RenderOptions.Create(AnsiConsole.Console), Unbounded).Max;

    /// <summary>A rounded table with <paramref name="headers"/> whose columns after the first <paramref name="textColumns"/> are numbers: right-aligned, never wrapped.</summary>
    public static Table Create(int textColumns, params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns(headers);
        foreach (var column in table.Columns.Skip(textColumns)) column.RightAligned().NoWrap();
        return table;
    }
}
