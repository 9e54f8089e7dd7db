using System.Globalization;

namespace Backends.Cli;

/// <summary>Human-readable numbers.</summary>
internal static class Format
{
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1)
        {
            bytes /= 1024;
            u++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes:0.#} {units[u]}");
    }

    public static string Time(double ms) => ms switch
    {
        < 0.001 => string.Create(CultureInfo.InvariantCulture, $"{ms * 1e6:0} ns"),
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{ms * 1e3:0.0} µs"),
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.000} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms / 1e3:0.00} s"),
    };

    public static string Num(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);
}
