using System.Text;

namespace FusedLayers.Generator.Emit;

/// <summary>
/// A minimal indenting text writer for generated C# (after ComputeSharp's IndentedTextWriter):
/// four spaces per level, <c>\n</c> line endings so output is identical on every OS.
/// </summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder builder = new();
    private int indent;

    public CodeWriter(int indent = 0) => this.indent = indent;

    public int Indentation => indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            builder.Append(' ', indent * 4);
            builder.Append(text);
        }

        builder.Append('\n');
    }

    public void OpenBrace()
    {
        Line("{");
        indent++;
    }

    public void CloseBrace(string suffix = "")
    {
        indent--;
        Line("}" + suffix);
    }

    /// <summary>Appends text written by another writer (already indented).</summary>
    public void Append(CodeWriter other) => builder.Append(other.builder);

    public override string ToString() => builder.ToString();
}
