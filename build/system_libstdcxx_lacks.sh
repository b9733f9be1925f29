#!/bin/sh
# Usage: system_libstdcxx_lacks.sh [VERSION]   (default GLIBCXX_3.4.32)
# Exit 0 when the system's libstdc++.so.6 (the one the dynamic loader picks, per `ldconfig -p`) lacks
# the symbol version VERSION, 1 when it has it, 2 when no libstdc++.so.6 is found.
version=${1:-GLIBCXX_3.4.32}
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
from_cache=$("$ldconfig" -p 2>/dev/null | sed -n 's/^[[:space:]]*libstdc++\.so\.6 (libc6,x86-64[^)]*) => //p' | head -n 1)
for lib in "$from_cache" /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
  if [ -n "$lib" ] && [ -e "$lib" ]; then
    # The version names are plain strings in .dynstr: a fixed-string grep of the binary is enough.
    if grep -qF "$version" "$lib"; then
      echo "$lib has $version"
      exit 1
    fi
    echo "$lib lacks $version"
    exit 0
  fi
done
echo "no libstdc++.so.6 found"
exit 2
