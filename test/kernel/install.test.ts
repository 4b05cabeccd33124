import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const install = require(path.join(ROOT, "kernel", "install.js")) as {
  kernelSpec: (node?: string) => { argv: string[]; display_name: string; language: string; interrupt_mode: string };
  userDataDir: (env: Record<string, string>, platform: string, home: string) => string;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lab = require(path.join(ROOT, "kernel", "lab.js")) as { INSTALL_HELP: string };

describe("kernel:install", () => {
  it("builds a kernelspec with absolute node and launcher paths", () => {
    const spec = install.kernelSpec();
    expect(spec.argv).toEqual([process.execPath, path.join(ROOT, "kernel", "launch.js"), "{connection_file}"]);
    expect(path.isAbsolute(spec.argv[0]) && path.isAbsolute(spec.argv[1])).toBe(true);
    expect(spec.display_name).toBe("TypeScript (latentlab)");
    expect(spec.language).toBe("typescript");
    expect(spec.interrupt_mode).toBe("signal");
  });

  it("finds the user's Jupyter data dir as jupyter_core does", () => {
    expect(install.userDataDir({}, "linux", "/home/a")).toBe("/home/a/.local/share/jupyter");
    expect(install.userDataDir({ XDG_DATA_HOME: "/x" }, "linux", "/home/a")).toBe("/x/jupyter");
    expect(install.userDataDir({}, "darwin", "/Users/a")).toBe("/Users/a/Library/Jupyter");
    expect(install.userDataDir({ JUPYTER_DATA_DIR: "/j" }, "darwin", "/Users/a")).toBe("/j");
  });

  it("--user writes to JUPYTER_DATA_DIR idempotently, and Jupyter itself lists the kernel", () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-jdata-"));
    try {
      const env = { ...process.env, JUPYTER_DATA_DIR: data };
      for (let i = 0; i < 2; i++) {
        const r = spawnSync(process.execPath, [path.join(ROOT, "kernel", "install.js"), "--user"], { env, encoding: "utf8" });
        expect(r.status).toBe(0);
        expect(r.stdout).toContain(path.join(data, "kernels", "latentlab"));
      }
      const dir = path.join(data, "kernels", "latentlab");
      expect(fs.readdirSync(dir).sort()).toEqual(["kernel.json", "logo-32x32.png", "logo-64x64.png"]);
      const png = fs.readFileSync(path.join(dir, "logo-64x64.png"));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      expect(png.readUInt32BE(16)).toBe(64); // IHDR width
      const py = "import json; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps({'kernelspecs': K().get_all_specs()}))";
      const ls = spawnSync("/usr/bin/python3", ["-c", py], {
        env: { ...env, JUPYTER_PATH: "" },
        encoding: "utf8",
      });
      if (ls.status !== 0) throw new Error(ls.stderr);
      const specs = JSON.parse(ls.stdout).kernelspecs as Record<string, { resource_dir: string; spec: { display_name: string } }>;
      expect(specs.latentlab.resource_dir).toBe(dir);
      expect(specs.latentlab.spec.display_name).toBe("TypeScript (latentlab)");
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it("npm run lab without Jupyter on PATH says how to install one and exits 1", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-nojupyter-"));
    try {
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const r = spawnSync(process.execPath, [path.join(ROOT, "kernel", "lab.js")], {
        env: { ...process.env, PATH: bin },
        encoding: "utf8",
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(lab.INSTALL_HELP);
      expect(r.stderr).toContain("pip install jupyterlab");
      expect(r.stderr).toContain("apt-get install jupyter-notebook");
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
