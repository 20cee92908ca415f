// A certificate authority made at test time with the openssl CLI: a server certificate for localhost and
// 127.0.0.1, and a client certificate, each signed by it. Files in `dir`; PEM texts returned.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  caFile: string;
  ca: string;
  /** Issues a certificate signed by the CA: files `<name>.crt` and `<name>.key`. */
  issue(name: string, subjectAltName?: string): { certFile: string; keyFile: string; cert: string; key: string };
}

function openssl(args: string[], cwd: string) {
  const run = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${run.stderr.toString()}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export function makeTestCa(dir: string, name = "ca"): TestCa {
  openssl(["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=Herald test CA ${name}`], dir);
  const caFile = join(dir, `${name}.crt`);
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, "utf8"),
    issue(leaf, subjectAltName = "DNS:localhost,IP:127.0.0.1") {
      writeFileSync(join(dir, `${leaf}.ext`), `subjectAltName=${subjectAltName}\n`);
      openssl(["req", ...EC, "-keyout", `${leaf}.key`, "-out", `${leaf}.csr`, "-subj", `/CN=${leaf}`], dir);
      openssl(["x509", "-req", "-in", `${leaf}.csr`, "-CA", `${name}.crt`, "-CAkey", `${name}.key`, "-CAcreateserial", "-days", "2", "-out", `${leaf}.crt`, "-extfile", `${leaf}.ext`], dir);
      const certFile = join(dir, `${leaf}.crt`);
      const keyFile = join(dir, `${leaf}.key`);
      return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
    },
  };
}
