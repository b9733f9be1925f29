using System;
using System.Collections.Generic;
using System.Linq;
using FusedLayers;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace ResNet;

/// <summary>FusedLayers' parameters and buffers into a TorchSharp module, by state-dict name.</summary>
internal static class StateCopy
{
    /// <summary>Copies every parameter and buffer of <paramref name="model"/> into <paramref name="module"/>; throws unless both have the same keys in the same order.</summary>
    public static void Copy(IFusedModel model, nn.Module module)
    {
        Dictionary<string, TorchTensor> parameters = module.named_parameters().ToDictionary(p => p.name, p => (TorchTensor)p.parameter);
        Dictionary<string, TorchTensor> buffers = module.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        if (!parameters.Keys.SequenceEqual(model.Parameters.Select(p => p.Name)) || !buffers.Keys.SequenceEqual(model.Buffers.Select(b => b.Name)))
        {
            throw new InvalidOperationException(
                "The TorchSharp twin's state-dict keys differ from FusedLayers': " +
                $"[{string.Join(", ", parameters.Keys.Concat(buffers.Keys))}] vs " +
                $"[{string.Join(", ", model.Parameters.Select(p => p.Name).Concat(model.Buffers.Select(b => b.Name)))}].");
        }

        using (torch.no_grad())
        {
            foreach (FusedLayers.Parameter p in model.Parameters)
            {
                TorchTensor target = parameters[p.Name];
                using TorchTensor source = torch.tensor(p.Data, target.shape);
                target.copy_(source);
            }

            foreach (FusedLayers.Buffer b in model.Buffers)
            {
                TorchTensor target = buffers[b.Name];
                using TorchTensor source = b.ElementType == BufferElementType.Int64
                    ? torch.tensor(b.Int64Data[0])
                    : torch.tensor(b.FloatData, target.shape);
                target.copy_(source);
            }
        }
    }
}
