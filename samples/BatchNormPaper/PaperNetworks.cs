using FusedLayers;

namespace BatchNormPaper;

/// <summary>
/// The baseline network of Figure 1 (Ioffe and Szegedy 2015, section 4.1): three fully-connected hidden
/// layers of 100 sigmoid units, <c>y = sigmoid(W u + b)</c>, and a 10-way linear classifier whose softmax
/// is part of the cross-entropy loss. 784-100-100-100-10, 99,710 parameters.
/// </summary>
[FusedModel(InputShape = new[] { 784 })]
public partial class PlainSigmoidNet
{
    [Linear(784, 100)]
    public partial LinearLayer Fc1 { get; }

    [Sigmoid]
    public partial ActivationLayer Act1 { get; }

    [Linear(100, 100)]
    public partial LinearLayer Fc2 { get; }

    [Sigmoid]
    public partial ActivationLayer Act2 { get; }

    [Linear(100, 100)]
    public partial LinearLayer Fc3 { get; }

    [Sigmoid]
    public partial ActivationLayer Act3 { get; }

    [Linear(100, 10)]
    public partial LinearLayer Fc4 { get; }
}

/// <summary>
/// The same network with BatchNorm before each sigmoid, <c>y = sigmoid(BN(W u))</c>: the hidden layers drop
/// their bias, because BatchNorm's beta takes its place (section 3.2 of the paper). The classifier has no
/// BatchNorm. The generator fuses each Linear -> BatchNorm1d -> Sigmoid group into one kernel.
/// </summary>
[FusedModel(InputShape = new[] { 784 })]
public partial class BatchNormSigmoidNet
{
    [Linear(784, 100, Bias = false)]
    public partial LinearLayer Fc1 { get; }

    [BatchNorm1d(100)]
    public partial BatchNorm1dLayer Bn1 { get; }

    [Sigmoid]
    public partial ActivationLayer Act1 { get; }

    [Linear(100, 100, Bias = false)]
    public partial LinearLayer Fc2 { get; }

    [BatchNorm1d(100)]
    public partial BatchNorm1dLayer Bn2 { get; }

    [Sigmoid]
    public partial ActivationLayer Act2 { get; }

    [Linear(100, 100, Bias = false)]
    public partial LinearLayer Fc3 { get; }

    [BatchNorm1d(100)]
    public partial BatchNorm1dLayer Bn3 { get; }

    [Sigmoid]
    public partial ActivationLayer Act3 { get; }

    [Linear(100, 10)]
    public partial LinearLayer Fc4 { get; }
}
