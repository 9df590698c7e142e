#!/usr/bin/env python3
"""Sorts a perf profile's samples into categories and prints them side by side for two profiles.

    perf-categories.py A.data A_US_PER_VALUE B.data B_US_PER_VALUE

Each category is a share of the profile's samples and, multiplied by the process's CPU per value, µs per
value. The categories are by symbol name (kernel) or by shared object (user space).
"""
import re
import subprocess
import sys

KERNEL = [
    ("Hypervisor (paravirtual irq, msr, clock)", r"^(__raw_callee_save_)?(pvm_|kvm_|pvclock)"),
    ("Kernel epoll (readiness, sock_poll)", r"^(ep_|sock_poll|tcp_poll|do_epoll|__x64_sys_epoll|epoll)"),
    ("Kernel scheduler, futex, timers", r"schedule|switch_to|futex|wake_up|^sched|hrtimer|timer"),
    ("Kernel TCP/IP receive and ACK path, skb memory",
     r"^_*(tcp|skb|inet|ip|sock|sk|bbr|dst|net|netif|dev|loopback|eth|xfrm|datagram|kfree|kmem|slab|alloc|page|copy"
     r"|check_object|virt_addr|release_sock|lock_sock|release|raw_spin|list_del|memcpy|memset)"),
    ("Kernel syscall entry, fd lookup", r"syscall|^entry_|^fdget|^fput|^__sys_|^ksys|^vfs_|^do_sys|^__x64|rw_verify|fsnotify|security"),
]


def categorise(path):
    report = subprocess.run(["perf", "report", "-i", path, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none"],
                            capture_output=True, text=True, check=True).stdout
    shares = {}
    for line in report.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S.*?)\s+\[(.)\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, kind, sym = float(m.group(1)), m.group(2).strip(), m.group(3), m.group(4)
        if kind == "k":
            name = next((n for n, rx in KERNEL if re.search(rx, sym)), "Other (kernel, vdso, loader)")
        elif "coreclr" in dso or "clrjit" in dso or "System.Native" in dso:
            name = ".NET runtime (GC, JIT, stubs, shims)"
        elif dso.startswith("libc"):
            name = "libc syscall stubs (recv/read, epoll_wait)"
        elif (dso.startswith("[JIT]") or re.match(r"perf-\d+\.map", dso) or dso.endswith(".dll")
              or dso.startswith("ts") or "horodate" in dso):
            name = "Program code (JIT-compiled .NET, or C)"
        else:
            name = "Other (kernel, vdso, loader)"
        shares[name] = shares.get(name, 0.0) + pct
    return shares


def main():
    a, aus, b, bus = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    sa, sb = categorise(a), categorise(b)
    print("| where | horodate share | horodate µs/value | C share | C µs/value |")
    print("|---|---:|---:|---:|---:|")
    for name in sorted(set(sa) | set(sb), key=lambda k: -(sa.get(k, 0) * aus + sb.get(k, 0) * bus)):
        pa, pb = sa.get(name, 0.0), sb.get(name, 0.0)
        print(f"| {name} | {pa:.1f} % | {pa * aus / 100:.2f} | {pb:.1f} % | {pb * bus / 100:.2f} |")
    print(f"| **total** | 100 % | **{aus:.2f}** | 100 % | **{bus:.2f}** |")


if __name__ == "__main__":
    main()
