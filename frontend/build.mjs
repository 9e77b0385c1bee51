// Builds Needle's static assets from the npm packages pinned in package-lock.json.
//
// Why a script and not a bundler: there is one stylesheet and two files to copy; this
// keeps the build readable and the output byte-for-byte reproducible from the lock file.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const staticDir = join(repo, "needle_web", "static", "needle_web");
const vendorDir = join(repo, "tests", "web", "vendor");
const govuk = join(here, "node_modules", "govuk-frontend");
const axe = join(here, "node_modules", "axe-core");

mkdirSync(staticDir, { recursive: true });
mkdirSync(vendorDir, { recursive: true });

const result = sass.compile(join(here, "needle.scss"), {
  style: "compressed",
  loadPaths: [join(here, "node_modules")],
  // GOV.UK Frontend 5 is written for @import (its warnings are not ours to fix), so
  // needle.scss must @import it too until GOV.UK Frontend moves to @use.
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(staticDir, "needle.css"), result.css + "\n");

copyFileSync(join(govuk, "dist", "govuk", "govuk-frontend.min.js"), join(staticDir, "govuk-frontend.min.js"));
copyFileSync(join(axe, "axe.min.js"), join(vendorDir, "axe.min.js"));
copyFileSync(join(axe, "LICENSE"), join(vendorDir, "LICENSE-axe-core.txt"));

console.log("Built needle.css, copied govuk-frontend.min.js and axe.min.js");
