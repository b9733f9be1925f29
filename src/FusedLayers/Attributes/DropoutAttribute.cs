using System;

namespace FusedLayers;

/// <summary>
/// Dropout, as PyTorch's <c>nn.Dropout(p=0.5)</c>: in training each element is zeroed with probability
/// <c>p</c> and the rest scaled by <c>1 / (1 - p)</c>; in inference it is the identity. The mask comes from a
/// counter-based generator keyed by the layer's seed and step (<see cref="DropoutLayer"/>), so runs are
/// reproducible on every ISA path and thread count, and backward reuses the forward mask. The property must
/// be of type <see cref="DropoutLayer"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares a dropout layer.</summary>
    /// <param name="p">Probability of zeroing an element (<c>p</c>, default 0.5), in <c>[0, 1]</c>.</param>
    public DropoutAttribute(double p = 0.5) => P = p;

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }
}
