// An ES module: base.html loads it with <script type="module">.
// Starts GOV.UK Frontend's components (error summary focus, header menu, notification
// banners, the file upload's drop zone...). Browsers without ES modules skip this file and
// get the plain pages.
import { initAll } from "./govuk-frontend.min.js";

initAll();

// GOV.UK Frontend 5.14's file upload button runs its status ("No file chosen") straight
// into "Choose file" with no space, so speech-input users and axe-core's label-in-name
// check (WCAG 2.5.3) read one run-together word: put the space back.
for (const status of document.querySelectorAll(".govuk-file-upload-button__status")) {
  status.after(" ");
}
