// An ES module, loaded by a submission's status page while its file is being checked.
// It asks the small JSON endpoint for the upload's state and reloads the page when the
// state changes, so the result appears without pressing anything. Without JavaScript the
// page's "Refresh this page" link does the same by hand.
const box = document.querySelector("[data-upload-status-url]");

if (box) {
  const url = box.dataset.uploadStatusUrl;
  const shown = box.dataset.uploadState;
  let delay = 1000;

  const poll = async () => {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const status = await response.json();
        if (status.state !== shown) {
          window.location.reload();
          return;
        }
      }
    } catch {
      // A dropped connection: ask again later.
    }
    delay = Math.min(delay * 1.5, 10000);
    window.setTimeout(poll, delay);
  };

  window.setTimeout(poll, delay);
}
