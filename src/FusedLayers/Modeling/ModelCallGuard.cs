using System;
using System.Threading;

namespace FusedLayers;

/// <summary>
/// Detects one model instance used from two threads at once. Generated <c>Forward</c> and <c>Backward</c>
/// enter the guard before they read or change anything and leave it when they return or throw; a call
/// that finds the instance busy throws <see cref="InvalidOperationException"/> without touching its state.
/// Different instances on different threads never contend here. The cost is one uncontended
/// compare-and-swap per call.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // for generated code; out of IntelliSense
public static class ModelCallGuard
{
    /// <summary>Marks the model busy, or throws when another thread is inside one of its calls.</summary>
    /// <param name="busy">The model's busy flag (0 idle, 1 busy).</param>
    /// <param name="modelName">Model type name, for the message.</param>
    /// <param name="method">The method being entered, for the message.</param>
    /// <exception cref="InvalidOperationException">The instance is in use on another thread.</exception>
    public static void Enter(ref int busy, string modelName, string method)
    {
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            throw new InvalidOperationException(
                $"{modelName}.{method} was called while another thread is inside Forward or Backward of the same instance. " +
                "A model instance holds its activations and gradients, so it runs one call at a time; " +
                "give each thread its own instance (different instances may run in parallel). Nothing was changed.");
        }
    }

    /// <summary>Marks the model idle again.</summary>
    /// <param name="busy">The model's busy flag.</param>
    public static void Exit(ref int busy) => Volatile.Write(ref busy, 0);
}
