using System.Collections.Generic;
using FusedLayers.Generator.Helpers;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// Collects the batch-sized views of workspace buffers one generated method uses, so the method can
/// declare each once at its top (<c>Span&lt;float&gt; k0Z = new(_flK0Z, 0, batch * 65536);</c>) and the
/// kernel calls below stay short.
/// </summary>
internal sealed class SliceScope
{
    private readonly List<(string Local, string Field, int PerSample)> slices = new();

    /// <summary>Whether a pass written in this method takes the kernel context (so the method declares it).</summary>
    public bool UsesContext { get; set; }

    /// <summary>The local name of the view of <paramref name="field"/> holding <c>batch * perSample</c> values.</summary>
    public string Get(string field, int perSample)
    {
        string local = field == "_flInput" ? "savedInput" : char.ToLowerInvariant(field[3]) + field.Substring(4);
        foreach ((string Local, string Field, int PerSample) slice in slices)
        {
            if (slice.Local == local)
            {
                return local;
            }
        }

        slices.Add((local, field, perSample));
        return local;
    }

    public void WriteDeclarations(CodeWriter w)
    {
        foreach ((string local, string field, int perSample) in slices)
        {
            w.Line($"global::System.Span<float> {local} = new({field}, 0, batch * {Shapes.Inv(perSample)});");
        }
    }
}
