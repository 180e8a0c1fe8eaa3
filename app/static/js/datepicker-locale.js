/* FAB's date picker (bootstrap-datepicker) in the page's language: the month and day names and the
 * first day of the week come from the server (Babel and the region's calendar, app/core/datepicker.py)
 * as JSON. Loaded after the picker and before FAB's ab.js, which sets the pickers up with these
 * defaults. */
(function ($) {
  "use strict";
  var data = document.getElementById("lms-datepicker-locale");
  if (!data || !$ || !$.fn.datepicker) {
    return;
  }
  var locale = JSON.parse(data.textContent);
  $.fn.datepicker.dates[locale.language] = locale;
  $.fn.datepicker.defaults.language = locale.language;
  $.fn.datepicker.defaults.weekStart = locale.weekStart;

  // FAB sets date-and-time fields up like date fields: a picked day replaced the whole value, time
  // included, which the form then refused. The day is picked, the time typed: keep the time that
  // was there (midnight when there was none), and do not let the picker rewrite the field on close.
  var TIME = /\s+(\d{1,2}:\d{2}(?::\d{2})?)\s*$/;
  $.fn.datepicker.defaults.forceParse = false;
  function rememberTime(group) {
    var match = TIME.exec(group.find("input").val() || "");
    if (match) {
      group.data("lmsTime", match[1]);
    }
  }
  $(document).on("show", ".appbuilder_datetime", function () {
    rememberTime($(this));
  });
  $(document).on("input change", ".appbuilder_datetime input", function () {
    rememberTime($(this).closest(".appbuilder_datetime"));
  });
  $(document).on("changeDate", ".appbuilder_datetime", function () {
    var input = $(this).find("input");
    var value = input.val() || "";
    if (value && !TIME.test(value)) {
      input.val(value + " " + ($(this).data("lmsTime") || "00:00:00"));
    }
  });
})(window.jQuery);
