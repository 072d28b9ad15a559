// Move focus to the error summary so screen readers announce it (GOV.UK pattern).
const summary = document.querySelector("[data-error-summary]");
if (summary) {
  summary.focus();
  for (const link of summary.querySelectorAll("a[href^='#']")) {
    link.addEventListener("click", (event) => {
      const input = document.getElementById(link.getAttribute("href").slice(1));
      if (input) {
        event.preventDefault();
        input.focus();
        input.scrollIntoView({ block: "center" });
      }
    });
  }
}
