// An empty std::ios_base_library_init() (mangled _ZSt21ios_base_library_initv), for libstdc++ older
// than GCC 13 where it does not exist. GCC 13's <iostream> makes every object that includes it refer
// to this symbol (version GLIBCXX_3.4.32) so that the library's iostreams are initialised first; an
// older libstdc++ initialises them in its own constructor, so an empty definition is all that is needed.
//
// Built by TorchSharpNativeFix.targets only when the system libstdc++ lacks GLIBCXX_3.4.32, and loaded
// by the parity tests with dlopen(RTLD_LAZY | RTLD_GLOBAL) before TorchSharp's first call, so that the
// (patched, now unversioned) reference in libLibTorchSharp.so resolves to it.
namespace std
{
    void ios_base_library_init() {}
}
