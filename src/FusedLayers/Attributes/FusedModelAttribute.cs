using System;

namespace FusedLayers;

/// <summary>
/// Marks a <c>partial</c> class as a FusedLayers model. The source generator reads the layer
/// properties declared on the class (in declaration order) and emits fused forward and backward code.
/// </summary>
/// <example>
/// <code>
/// [FusedModel(InputShape = new[] { 3, 32, 32 })]
/// public partial class Net
/// {
///     [Conv2d(3, 64, KernelSize = 3, Padding = 1)] partial Conv2dLayer Conv { get; }
///     [BatchNorm2d(64)] partial BatchNorm2dLayer Bn { get; }
///     [ReLU] partial ReLULayer Relu { get; }
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FusedModelAttribute : Attribute
{
    /// <summary>
    /// The shape of one sample, without the batch dimension: <c>[C, H, W]</c> for images,
    /// <c>[F]</c> for feature vectors. The batch size is chosen at run time.
    /// </summary>
    public int[] InputShape { get; set; } = [];
}
