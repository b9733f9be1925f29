using System;
using Microsoft.CodeAnalysis;

namespace FusedLayers.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs: FL00xx declarations, FL01xx attribute arguments,
/// FL02xx graph and shapes, FL03xx fusion (information).
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "FusedLayers.Declaration";
    private const string Arguments = "FusedLayers.Arguments";
    private const string Graph = "FusedLayers.Graph";
    private const string Fusion = "FusedLayers.Fusion";

    /// <summary>FL0001: Model class '{0}' must be declared partial.</summary>
    public static readonly DiagnosticDescriptor ModelNotPartial = Error(
        "FL0001", Declaration, "Model class must be partial",
        "Model class '{0}' must be declared partial so that the generator can add its forward and backward code");

    /// <summary>FL0002: Model class '{0}' is {1}; only non-generic, non-static top-level classes are supported.</summary>
    public static readonly DiagnosticDescriptor UnsupportedModelClass = Error(
        "FL0002", Declaration, "Unsupported model class",
        "Model class '{0}' is {1}; the generator supports non-generic, non-static classes declared directly in a namespace");

    /// <summary>FL0003: Model '{0}' has no input shape.</summary>
    public static readonly DiagnosticDescriptor MissingInputShape = Error(
        "FL0003", Declaration, "Missing input shape",
        "Model '{0}' has no input shape: set InputShape on [FusedModel], for example InputShape = new[] {{ 3, 32, 32 }}");

    /// <summary>FL0004: Model '{0}' declares no layers.</summary>
    public static readonly DiagnosticDescriptor NoLayers = Error(
        "FL0004", Declaration, "Model has no layers",
        "Model '{0}' declares no layers: add partial properties with layer attributes such as [Conv2d], [Linear], [BatchNorm2d] or [ReLU]");

    /// <summary>FL0005: Layer '{0}' must be a partial, non-static, get-only property.</summary>
    public static readonly DiagnosticDescriptor LayerNotPartialProperty = Error(
        "FL0005", Declaration, "Layer must be a partial get-only property",
        "Layer '{0}' must be a partial, non-static, get-only property: partial {1} {0} {{ get; }}");

    /// <summary>FL0006: Layer '{0}' has attribute [{1}] but type '{2}'; its type must be {3}.</summary>
    public static readonly DiagnosticDescriptor LayerTypeMismatch = Error(
        "FL0006", Declaration, "Layer property has the wrong type",
        "Layer '{0}' has attribute [{1}] but type '{2}'; its type must be {3}");

    /// <summary>FL0007: Layers of model '{0}' are declared in several partial declarations.</summary>
    public static readonly DiagnosticDescriptor LayersInSeveralDeclarations = Error(
        "FL0007", Declaration, "Layers spread over several partial declarations",
        "Layers of model '{0}' are declared in {1} partial declarations; declaration order is the data flow, so declare every layer in one declaration ('{2}' is in another one)");

    /// <summary>FL0008: Layer '{0}' has {1} layer attributes.</summary>
    public static readonly DiagnosticDescriptor SeveralLayerAttributes = Error(
        "FL0008", Declaration, "More than one layer attribute",
        "Layer '{0}' has {1} layer attributes; a property declares exactly one layer");

    /// <summary>FL0009: Member '{0}' of model '{1}' collides with the generated member '{2}'.</summary>
    public static readonly DiagnosticDescriptor ReservedMemberName = Error(
        "FL0009", Declaration, "Member name reserved by the generated model",
        "Member '{0}' of model '{1}' collides with {2}; rename it");

    /// <summary>FL0010: Class '{0}' declares layers but has no [FusedModel] attribute.</summary>
    public static readonly DiagnosticDescriptor LayersWithoutModel = Error(
        "FL0010", Declaration, "Layer attributes on a class without [FusedModel]",
        "Class '{0}' declares layers ('{1}' is [{2}]) but has no [FusedModel] attribute: add [FusedModel(InputShape = new[] {{ ... }})] to the class");

    /// <summary>FL0020: Block use '{0}': '{1}' {2}.</summary>
    public static readonly DiagnosticDescriptor NotABlock = Error(
        "FL0020", Declaration, "Block use names no block class",
        "Block use '{0}': '{1}' {2}");

    /// <summary>FL0021: Block '{0}' uses itself ({1}).</summary>
    public static readonly DiagnosticDescriptor RecursiveBlock = Error(
        "FL0021", Declaration, "Recursive block",
        "Block '{0}' uses itself ({1}); a block is expanded at build time, so it cannot contain itself");

    /// <summary>FL0022: Block use '{0}' must be a partial, non-static, get-only property of type {1}.</summary>
    public static readonly DiagnosticDescriptor BlockUseNotPartialProperty = Error(
        "FL0022", Declaration, "Block use must be a partial get-only property of the block's type",
        "Block use '{0}' must be a partial, non-static, get-only property of the block's type: partial {1} {0} {{ get; }}{2}");

    /// <summary>FL0023: Block class '{0}' is {1}.</summary>
    public static readonly DiagnosticDescriptor UnsupportedBlockClass = Error(
        "FL0023", Declaration, "Unsupported block class",
        "Block class '{0}' is {1}; a block must be a partial, non-generic, non-static class declared directly in a namespace, with only layer and block-use properties");

    /// <summary>FL0024: Layer '{0}': state-dict name '{1}' {2}.</summary>
    public static readonly DiagnosticDescriptor BadStateName = Error(
        "FL0024", Declaration, "Invalid or duplicate state-dict name",
        "Layer '{0}': state-dict name '{1}' {2}");

    /// <summary>FL0099: the generator failed unexpectedly.</summary>
    public static readonly DiagnosticDescriptor GeneratorFailure = Error(
        "FL0099", Declaration, "Generator failure",
        "The FusedLayers generator failed on model '{0}': {1}. Please report this.");

    /// <summary>FL0101: {0} '{1}': {2} must be positive, got {3}.</summary>
    public static readonly DiagnosticDescriptor NonPositiveArgument = Error(
        "FL0101", Arguments, "Argument must be positive",
        "{0} '{1}': {2} must be positive, got {3}");

    /// <summary>FL0102: {0} '{1}': padding must be zero or positive, got {2}.</summary>
    public static readonly DiagnosticDescriptor NegativePadding = Error(
        "FL0102", Arguments, "Padding must not be negative",
        "{0} '{1}': padding must be zero or positive, got {2}");

    /// <summary>FL0103: {0} '{1}': eps must be a positive finite number, got {2}.</summary>
    public static readonly DiagnosticDescriptor InvalidEps = Error(
        "FL0103", Arguments, "Invalid eps",
        "{0} '{1}': eps must be a positive normal float32 number (from 1.1754944e-38 to 3.4028235e38; smaller ones round to 0 or lose precision), got {2}");

    /// <summary>FL0104: {0} '{1}': momentum must lie in [0, 1], got {2}.</summary>
    public static readonly DiagnosticDescriptor InvalidMomentum = Error(
        "FL0104", Arguments, "Invalid momentum",
        "{0} '{1}': momentum must lie in [0, 1] and, unless 0, be at least 1.1754944e-38 (smaller values round to 0 in float32), got {2}");

    /// <summary>FL0105: {0} '{1}': Momentum = {2} contradicts CumulativeAverage = true.</summary>
    public static readonly DiagnosticDescriptor ContradictoryMomentum = Error(
        "FL0105", Arguments, "Contradictory momentum options",
        "{0} '{1}': Momentum = {2} contradicts CumulativeAverage = true (PyTorch's momentum=None); set only one of them");

    /// <summary>FL0106: Conv2d '{0}': kernel_size is required.</summary>
    public static readonly DiagnosticDescriptor MissingKernelSize = Error(
        "FL0106", Arguments, "Missing kernel size",
        "Conv2d '{0}': kernel_size is required; write [Conv2d(in, out, kernelSize)] or set KernelSize");

    /// <summary>FL0107: Model '{0}': input shape {1} is invalid.</summary>
    public static readonly DiagnosticDescriptor InvalidInputShape = Error(
        "FL0107", Arguments, "Invalid input shape",
        "Model '{0}': input shape {1} must have one to three dimensions, all positive, with at most 2^30 elements");

    /// <summary>FL0109: {0} '{1}': {2}.</summary>
    public static readonly DiagnosticDescriptor InvalidActivationArgument = Error(
        "FL0109", Arguments, "Invalid activation argument",
        "{0} '{1}': {2}");

    /// <summary>FL0110: {0} '{1}': {2}.</summary>
    public static readonly DiagnosticDescriptor InvalidPoolingArgument = Error(
        "FL0110", Arguments, "Invalid pooling argument",
        "{0} '{1}': {2}");

    /// <summary>FL0115: Dropout '{0}': {1}.</summary>
    public static readonly DiagnosticDescriptor InvalidDropoutProbability = Error(
        "FL0115", Arguments, "Invalid dropout probability",
        "Dropout '{0}': {1}");

    /// <summary>FL0120: Conv2d '{0}': groups = {1} must divide in_channels = {2} and out_channels = {3}.</summary>
    public static readonly DiagnosticDescriptor GroupsDoNotDivide = Error(
        "FL0120", Arguments, "Groups must divide the channel counts",
        "Conv2d '{0}': groups = {1} must divide in_channels = {2} and out_channels = {3}");

    /// <summary>FL0121: Conv2d '{0}': Algorithm = {1} needs {2}; the layer runs direct.</summary>
    public static readonly DiagnosticDescriptor WinogradDoesNotApply = new(
        "FL0121",
        "Winograd requested for a convolution it cannot compute",
        "Conv2d '{0}': Algorithm = {1} needs a 3x3 kernel, stride 1, dilation 1 and groups 1 (this layer has {2}); it runs direct",
        Arguments,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    /// <summary>FL0111: GroupNorm '{0}': num_channels ({1}) must be divisible by num_groups ({2}).</summary>
    public static readonly DiagnosticDescriptor GroupsDoNotDivideChannels = Error(
        "FL0111", Arguments, "Channels not divisible by groups",
        "GroupNorm '{0}': num_channels ({1}) must be divisible by num_groups ({2})");

    /// <summary>FL0112: {0} '{1}': {2}.</summary>
    public static readonly DiagnosticDescriptor InvalidNormalizationArgument = Error(
        "FL0112", Arguments, "Invalid normalisation argument",
        "{0} '{1}': {2}");

    /// <summary>FL0113: LayerNorm '{0}': normalized_shape {1} is not the trailing dimensions of its input.</summary>
    public static readonly DiagnosticDescriptor NormalizedShapeMismatch = Error(
        "FL0113", Arguments, "normalized_shape does not match the input",
        "LayerNorm '{0}': normalized_shape {1} must equal the trailing dimensions of its input ({2}), which has shape {3}");

    /// <summary>FL0114: {0} '{1}' needs more than one spatial element per channel.</summary>
    public static readonly DiagnosticDescriptor InstanceNormSingleElement = Error(
        "FL0114", Arguments, "Instance statistics need more than one spatial element",
        "{0} '{1}' normalises each (sample, channel) plane with its own statistics, which needs more than 1 spatial element, but its input ({2}) has shape {3}");

    /// <summary>FL0108: {0} '{1}': CumulativeAverage = true has no effect when TrackRunningStats = false.</summary>
    public static readonly DiagnosticDescriptor ContradictoryRunningStats = Error(
        "FL0108", Arguments, "Contradictory running-statistics options",
        "{0} '{1}': {2} has no effect when TrackRunningStats = false (no running statistics are kept); remove one of them");

    /// <summary>FL0130: Layer '{0}' of block '{1}' uses BlockParameter.{2}, which the use '{3}' does not set.</summary>
    public static readonly DiagnosticDescriptor MissingBlockParameter = Error(
        "FL0130", Arguments, "Block parameter not set at the use site",
        "Layer '{0}' of block '{1}' uses BlockParameter.{2}, which the use '{3}' does not set: add {2} = ... to its [Block] attribute");

    /// <summary>FL0201: {0} '{1}' expects {2} {3}, but its input ({4}) has shape {5}.</summary>
    public static readonly DiagnosticDescriptor ChannelMismatch = Error(
        "FL0201", Graph, "Channel or feature count mismatch",
        "{0} '{1}' expects {2} {3}, but its input ({4}) has shape {5}");

    /// <summary>FL0202: {0} '{1}' needs a per-sample input of shape {2}, but its input ({3}) has shape {4}.</summary>
    public static readonly DiagnosticDescriptor RankMismatch = Error(
        "FL0202", Graph, "Input has the wrong number of dimensions",
        "{0} '{1}' needs a per-sample input of shape {2}, but its input ({3}) has shape {4}{5}");

    /// <summary>FL0203: Conv2d '{0}': kernel {1} does not fit the padded input.</summary>
    public static readonly DiagnosticDescriptor KernelTooLarge = Error(
        "FL0203", Graph, "Kernel larger than the padded input",
        "{7} '{0}': kernel {1}x{1} does not fit the input plane {2}x{3} padded by {4} ({5}x{6})");

    /// <summary>FL0204: Layer '{0}' produces {1} elements per sample.</summary>
    public static readonly DiagnosticDescriptor ActivationTooLarge = Error(
        "FL0204", Graph, "Activation too large",
        "Layer '{0}' produces {1} elements per sample ({2}); at most 2^30 are supported");

    /// <summary>FL0207: Layer '{0}' has {1} {2}.</summary>
    public static readonly DiagnosticDescriptor WeightsTooLarge = Error(
        "FL0207", Graph, "Layer too large",
        "Layer '{0}' has {1} {2}; at most 2^30 (1073741824) per tensor are supported");

    /// <summary>FL0205: Residual '{0}': From = "{1}" {2}.</summary>
    public static readonly DiagnosticDescriptor BadSkipSource = Error(
        "FL0205", Graph, "Skip connection to an unknown or later layer",
        "Residual '{0}': From = \"{1}\" {2}");

    /// <summary>FL0206: Residual '{0}': the main path is {1} but the skip from '{2}' is {3}.</summary>
    public static readonly DiagnosticDescriptor SkipShapeMismatch = Error(
        "FL0206", Graph, "Shapes differ at a skip connection",
        "Residual '{0}': the main path is {1} but the skip from '{2}' is {3}{4}");

    /// <summary>FL0220: Residual '{0}' in block '{1}' names '{2}', which is not in the block.</summary>
    public static readonly DiagnosticDescriptor SkipOutsideBlock = Error(
        "FL0220", Graph, "Skip connection leaves its block",
        "Residual '{0}' in block '{1}' names '{2}', which is not a layer of the block; name an earlier layer of the block or ResidualAttribute.BlockInput");

    /// <summary>FL0221: Block use '{0}' ({1}) receives {2}, which its layer '{3}' does not accept.</summary>
    public static readonly DiagnosticDescriptor BlockDoesNotFit = Error(
        "FL0221", Graph, "Block does not fit its use site",
        "Block use '{0}' ({1}) receives {2}, which its layer '{3}' does not accept ({4} there)");

    /// <summary>FL0301: Layer '{0}' runs as its own kernel: {1}.</summary>
    public static readonly DiagnosticDescriptor LayerNotFused = new(
        "FL0301",
        "Layer runs as its own kernel",
        "Layer '{0}' ({1}) runs as its own kernel: {2}",
        Fusion,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor[] All =
    [
        ModelNotPartial, UnsupportedModelClass, MissingInputShape, NoLayers, LayerNotPartialProperty, LayerTypeMismatch,
        LayersInSeveralDeclarations, SeveralLayerAttributes, GeneratorFailure, NonPositiveArgument, NegativePadding, InvalidEps,
        InvalidMomentum, ContradictoryMomentum, MissingKernelSize, InvalidInputShape, ContradictoryRunningStats, GroupsDoNotDivide, InvalidActivationArgument, InvalidPoolingArgument,
        InvalidDropoutProbability, GroupsDoNotDivideChannels, InvalidNormalizationArgument, NormalizedShapeMismatch, InstanceNormSingleElement, ChannelMismatch, BadSkipSource, SkipShapeMismatch,
        RankMismatch, KernelTooLarge, ActivationTooLarge, LayerNotFused, ReservedMemberName, LayersWithoutModel, WeightsTooLarge,
        WinogradDoesNotApply, NotABlock, RecursiveBlock, BlockUseNotPartialProperty, UnsupportedBlockClass, BadStateName,
        MissingBlockParameter, SkipOutsideBlock, BlockDoesNotFit,
    ];

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (DiagnosticDescriptor descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        throw new ArgumentException("Unknown diagnostic " + id, nameof(id));
    }

    private static DiagnosticDescriptor Error(string id, string category, string title, string message) =>
        new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
