#!/usr/bin/env node
// A latentlab kernel in a sandbox, started by KernelClient as if it were the kernel itself
// (argv: node sandbox-kernel.js <connection_file>; configuration in $LATENTLAB_SANDBOX, JSON,
// written by scripts/grading/sandbox.ts).
//
// The kernel (scripts/grading/sandbox-launch.js) runs under bubblewrap with every namespace
// unshared (no network: its loopback is not ours), as an unprivileged uid of its own, in
// memory and pids cgroups when the machine has them (else RLIMIT_NPROC), with a read-only view
// of exactly: /usr, the project's node_modules, lib/, package.json and two launcher files.
// Nothing else of the host is visible: not the instructor's homework/, not release/, not the
// other submissions, not the grader's files. Its home and /tmp are fresh tmpfs.
//
// Because the sandbox has no network, the kernel binds its ZeroMQ sockets as unix sockets
// (transport "ipc") in a directory shared with this process, and this process relays the five
// channels between those and the TCP ports in <connection_file> that KernelClient connects
// to. Messages pass through unchanged (signed with the same key).
//
// Lifetime: KernelClient kills this process's group; bwrap's --die-with-parent then kills the
// sandbox's pid 1, which takes every process of the pid namespace with it (detached children,
// fork bombs); and on exit this process kills whatever is left in its cgroups. A SIGINT
// (Jupyter interrupt) is forwarded to the kernel process inside.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");
const zmq = require("zeromq");

const connectionFile = process.argv[2];
const cfg = JSON.parse(process.env.LATENTLAB_SANDBOX || "null");
if (!connectionFile || !cfg) {
  process.stderr.write("usage: LATENTLAB_SANDBOX=<json> node sandbox-kernel.js <connection_file>\n");
  process.exit(2);
}
const conn = JSON.parse(fs.readFileSync(connectionFile, "utf8"));
const parentPid = Number(process.env.LATENTLAB_PARENT_PID || 0);

// ---- the shared socket directory and the kernel's own connection file ----------------------
const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-sandbox-"));
fs.chownSync(sockDir, cfg.uid, cfg.uid);
fs.chmodSync(sockDir, 0o700);
const INNER_SOCK = "/run/kernel"; // where sockDir appears inside the sandbox
const ports = { shell: conn.shell_port, iopub: conn.iopub_port, stdin: conn.stdin_port, control: conn.control_port, hb: conn.hb_port };
const inner = { ...conn, transport: "ipc", ip: `${INNER_SOCK}/k` };
fs.writeFileSync(path.join(sockDir, "connection.json"), JSON.stringify(inner), { mode: 0o644 });
const ipc = (port) => `ipc://${sockDir}/k:${port}`;
const tcp = (port) => `tcp://${conn.ip}:${port}`;

// ---- cgroups (v1 memory + pids, or v2), best effort -----------------------------------------
function cgroupDirs() {
  const dirs = [];
  let lines = [];
  try {
    lines = fs.readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
  } catch {
    return dirs;
  }
  const name = `latentlab-grade-${process.pid}`;
  for (const line of lines) {
    const [, ctrls, rel] = line.split(":");
    for (const c of ["memory", "pids", "cpuacct"]) {
      if (ctrls.split(",").includes(c)) {
        const d = path.join("/sys/fs/cgroup", c, rel, name);
        try {
          fs.mkdirSync(d);
          if (c === "memory") {
            fs.writeFileSync(path.join(d, "memory.limit_in_bytes"), String(cfg.memoryBytes));
            try {
              fs.writeFileSync(path.join(d, "memory.memsw.limit_in_bytes"), String(cfg.memoryBytes));
            } catch {
              /* no swap accounting */
            }
          } else if (c === "pids") fs.writeFileSync(path.join(d, "pids.max"), String(cfg.maxProcesses));
          dirs.push(d);
        } catch {
          /* not allowed here */
        }
      }
    }
  }
  return dirs;
}
const cgroups = cfg.useCgroups ? cgroupDirs() : [];
const pidsCgroup = cgroups.find((d) => d.includes("/pids/"));

function cgroupPids() {
  const out = new Set();
  for (const d of cgroups) {
    try {
      for (const p of fs.readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n")) if (p.trim()) out.add(Number(p));
    } catch {
      /* gone */
    }
  }
  return [...out];
}

// ---- the sandboxed command ------------------------------------------------------------------
const root = cfg.projectRoot;
const ro = [];
for (const p of cfg.readOnly) ro.push("--ro-bind", p, p);
const bwrapArgs = [
  "--unshare-all", // user, ipc, pid, net, uts, cgroup namespaces: no network at all
  "--die-with-parent",
  "--new-session",
  "--uid", String(cfg.uid),
  "--gid", String(cfg.uid),
  "--hostname", "sandbox",
  "--ro-bind", "/usr", "/usr",
  "--symlink", "usr/bin", "/bin",
  "--symlink", "usr/lib", "/lib",
  ...(fs.existsSync("/lib64") ? ["--symlink", "usr/lib64", "/lib64"] : []),
  "--symlink", "usr/sbin", "/sbin",
  ...(fs.existsSync("/etc/ssl") ? ["--ro-bind", "/etc/ssl", "/etc/ssl"] : []),
  "--proc", "/proc",
  "--dev", "/dev",
  "--tmpfs", "/tmp",
  ...ro,
  "--ro-bind", cfg.libDir, path.join(root, "lib"),
  // The kernel's cwd must be inside the project for tslab to find node_modules (and the
  // "latentlab" package): a fresh tmpfs there, the only writable place besides /tmp.
  "--tmpfs", path.join(root, "student"),
  "--bind", sockDir, INNER_SOCK,
  "--remount-ro", "/", // the sandbox's root is read-only; only /tmp and the student folder are writable
  "--chdir", path.join(root, "student"),
  "--clearenv",
  "--setenv", "PATH", "/usr/bin:/bin",
  "--setenv", "HOME", path.join(root, "student"),
  "--setenv", "TMPDIR", "/tmp",
  ...Object.entries(cfg.env || {}).flatMap(([k, v]) => ["--setenv", k, String(v)]),
  "--",
  process.execPath,
  ...(fs.existsSync(path.join(root, "kernel", "cell-guard.js")) ? ["--require", path.join(root, "kernel", "cell-guard.js")] : []),
  ...(cfg.nodeFlags || [`--max-old-space-size=${Math.max(256, Math.floor(cfg.memoryBytes / 2 ** 20 / 2))}`]),
  path.join(root, "scripts", "grading", "sandbox-launch.js"),
  `${INNER_SOCK}/connection.json`,
  root,
];
const limits = [`--nproc=${cfg.maxProcesses}`, `--cpu=${cfg.cpuSeconds}`, `--fsize=${cfg.fileBytes}`, "--core=0"];
// Enter the cgroups first (as root), then drop to the sandbox uid, then set the limits, then bwrap.
const enter = cgroups.map((d) => `echo $$ > '${d}/cgroup.procs'`).join(" && ");
const script = `${enter ? enter + " && " : ""}exec "$@"`;
const argv = [
  "-c", script, "sh",
  "setpriv", `--reuid=${cfg.uid}`, `--regid=${cfg.uid}`, "--clear-groups", "--inh-caps=-all", "--",
  "prlimit", ...limits, "--",
  cfg.bwrap, ...bwrapArgs,
];
const child = spawn("/bin/sh", argv, { stdio: ["ignore", "inherit", "inherit"] });

// ---- relay the five channels ----------------------------------------------------------------
const sockets = [];
async function pump(from, to, map) {
  try {
    for await (const frames of from) await to.send(map ? map(frames) : frames);
  } catch {
    /* closed */
  }
}
async function relayRouter(port) {
  // client DEALER -> our ROUTER (tcp) -> our DEALER (ipc) -> kernel ROUTER; replies come back
  // with the client's identity as the first frame, which our ROUTER uses to route them.
  const front = new zmq.Router({ linger: 0 });
  const back = new zmq.Dealer({ linger: 0 });
  sockets.push(front, back);
  await front.bind(tcp(port));
  back.connect(ipc(port));
  void pump(front, back);
  void pump(back, front);
}
async function relayIopub(port) {
  const front = new zmq.XPublisher({ linger: 0 });
  const back = new zmq.XSubscriber({ linger: 0 });
  sockets.push(front, back);
  await front.bind(tcp(port));
  back.connect(ipc(port));
  void pump(front, back); // subscriptions upstream
  void pump(back, front); // messages downstream
}

/** CPU seconds used by everything in the sandbox so far (cpuacct cgroup), or null. */
function cpuSeconds() {
  const d = cgroups.find((x) => x.includes("/cpuacct/"));
  if (!d) return null;
  try {
    return Number(fs.readFileSync(path.join(d, "cpuacct.usage"), "utf8")) / 1e9;
  } catch {
    return null;
  }
}

function cleanup() {
  const cpu = cpuSeconds();
  if (cpu !== null) process.stderr.write(`sandbox: cpu ${cpu.toFixed(2)} s\n`);
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      /* closed */
    }
  }
  // Kill what is left, then remove the cgroups once their last task has exited (up to ~2 s).
  for (let round = 0; round < 40; round++) {
    const left = cgroupPids();
    if (left.length === 0) break;
    for (const p of left) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  for (const d of cgroups) {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (e) {
        if (e && e.code === "ENOENT") break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // EBUSY: a task is still exiting
      }
    }
  }
  fs.rmSync(sockDir, { recursive: true, force: true });
}

let exiting = false;
function exitWith(code) {
  if (exiting) return;
  exiting = true;
  try {
    child.kill("SIGKILL");
  } catch {
    /* gone */
  }
  cleanup();
  process.exit(code);
}

process.on("SIGINT", () => {
  // Jupyter interrupt: to the kernel process inside (the node running sandbox-launch.js).
  for (const p of cgroupPids()) {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("sandbox-launch.js")) process.kill(p, "SIGINT");
    } catch {
      /* gone */
    }
  }
});
process.on("SIGTERM", () => exitWith(143));
process.on("SIGHUP", () => exitWith(129));
child.on("exit", (code, signal) => {
  process.stderr.write(`sandbox: kernel exited with ${signal ? `signal ${signal}` : `exit code ${code}`}\n`);
  exitWith(code ?? 1);
});
if (parentPid > 0) {
  setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      exitWith(1);
    }
  }, 1000).unref();
}

(async () => {
  for (const ch of ["shell", "control", "stdin", "hb"]) await relayRouter(ports[ch]);
  await relayIopub(ports.iopub);
})().catch((e) => {
  process.stderr.write(`sandbox: could not relay the kernel's channels: ${e.message}\n`);
  exitWith(1);
});
