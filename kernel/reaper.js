#!/usr/bin/env node
// The kernel's reaper: started (detached, in its own session) by kernel/client.ts next to every
// kernel it starts. If the client's process disappears without cleaning up (SIGKILL, a crash,
// an out-of-memory kill), the reaper kills what the client would have killed:
//   - the kernel's whole process group (even when the kernel itself has already exited),
//   - every process carrying LATENTLAB_KERNEL_ID=<id> (a cell's child that left the group),
// and deletes the kernel's connection folder (the connection file holds the HMAC key).
// While the client lives the reaper only polls; the client kills it when the kernel is shut down.
//
// Usage: node kernel/reaper.js <client pid> <kernel pid> <kernel id> <connection dir>
"use strict";
const fs = require("fs");

const [clientPid, kernelPid] = process.argv.slice(2, 4).map(Number);
const kernelId = process.argv[4] || "";
const connDir = process.argv[5] || "";

/** The start time of a process (field 22 of /proc/pid/stat), so a reused pid is not mistaken for it. */
function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return null;
  }
}

const clientStart = startTime(clientPid);

function clientAlive() {
  try {
    process.kill(clientPid, 0);
  } catch (e) {
    return e.code !== "ESRCH";
  }
  if (clientStart === null) return true; // no /proc: trust kill(0)
  return startTime(clientPid) === clientStart;
}

function processesOfKernel() {
  const out = [];
  if (!kernelId) return out;
  const needle = Buffer.from(`\0LATENTLAB_KERNEL_ID=${kernelId}\0`);
  const first = Buffer.from(`LATENTLAB_KERNEL_ID=${kernelId}\0`);
  let entries = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return out;
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${d}/environ`);
      if (env.includes(needle) || env.subarray(0, first.length).equals(first)) out.push(Number(d));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

function reap() {
  try {
    process.kill(-kernelPid, "SIGKILL");
  } catch {
    /* group empty */
  }
  for (const pid of processesOfKernel()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  if (connDir && /latentlab-kernel-/.test(connDir)) fs.rmSync(connDir, { recursive: true, force: true });
  try {
    require("./build-lib").releaseLockOf(kernelPid);
  } catch {
    /* best effort */
  }
}

if (!(clientPid > 0) || !(kernelPid > 0)) process.exit(2);
// A signal to the reaper itself (e.g. a test signalling every process of the tree): clean up if
// the client is gone, else just leave (the client cleans up after itself).
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(sig, () => {
    if (!clientAlive()) reap();
    process.exit(0);
  });
}
const timer = setInterval(() => {
  if (clientAlive()) return;
  // Let the kernel's own watchdog and the client's exit handler act first, then sweep twice
  // (a process forked while the first sweep ran is caught by the second).
  clearInterval(timer);
  reap();
  setTimeout(() => {
    reap();
    process.exit(0);
  }, 300);
}, 250);
