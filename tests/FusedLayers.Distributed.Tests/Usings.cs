// The MPI jobs use both cores: run the test classes one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
