// ICD-10 suggestions: picking one puts its code in place of the words being typed
// (the last item of the field). The page works without this script: a save with words
// that match several codes lists them to pick.
(function () {
  if (window.mhisIcd10) return;
  window.mhisIcd10 = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-icd10-code]");
    if (!button) return;
    var box = button.closest(".icd10-suggestions");
    var input = box && document.querySelector('[data-icd10-box="' + box.id + '"]');
    if (!input) return;
    var items = input.value.split(",");
    items[items.length - 1] = (items.length > 1 ? " " : "") + button.dataset.icd10Code;
    input.value = items.join(",");
    box.textContent = "";
    input.focus();
  });
})();
