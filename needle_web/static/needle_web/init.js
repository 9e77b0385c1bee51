// An ES module: base.html loads it with <script type="module">.
// Starts GOV.UK Frontend's components (error summary focus, header menu, notification
// banners...). Browsers without ES modules skip this file and get the plain pages.
import { initAll } from "./govuk-frontend.min.js";

initAll();
