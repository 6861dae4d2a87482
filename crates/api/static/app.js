// sehat web app: what pages need a script for, nothing else. Every page works without it.
(function () {
  "use strict";

  // A select that submits its form when it changes (the state chooser).
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // "Near me": the browser's location into the search form.
  document.querySelectorAll("form[data-near-me]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.lat.value) { return; }
      event.preventDefault();
      var button = form.querySelector("button");
      if (!navigator.geolocation) { alert(button.dataset.error); return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        form.lat.value = position.coords.latitude.toFixed(5);
        form.long.value = position.coords.longitude.toFixed(5);
        form.submit();
      }, function () { alert(button.dataset.error); }, { timeout: 15000 });
    });
  });

  // Live seats: the availability feed of the centre's pincode updates the counts in place.
  var live = document.querySelector("[data-live-pincode]");
  if (live && window.EventSource) {
    var centre = Number(live.dataset.liveCentre);
    var feed = new EventSource("/api/v2/appointment/sessions/public/stream?pincode=" + encodeURIComponent(live.dataset.livePincode));
    var grouping = new Intl.NumberFormat("en-IN");
    feed.addEventListener("open", function () { live.hidden = false; });
    feed.addEventListener("availability", function (event) {
      var item = JSON.parse(event.data);
      if (item.center_id !== centre) { return; }
      [["1", item.available_capacity_dose1], ["2", item.available_capacity_dose2]].forEach(function (pair) {
        var cell = document.querySelector('[data-seats="' + item.session_id + '"][data-dose="' + pair[0] + '"]');
        var text = grouping.format(pair[1]);
        if (cell && cell.textContent !== text) {
          cell.textContent = text;
          cell.classList.remove("changed");
          void cell.offsetWidth;
          cell.classList.add("changed");
        }
      });
    });
    window.addEventListener("pagehide", function () { feed.close(); });
  }

  // An upload with a progress bar: the form is sent by XHR, the answer page replaces this one.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData) { return; }
      event.preventDefault();
      var bar = document.getElementById(form.dataset.progress);
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("x-csrf-token", form.querySelector("[name=_csrf]").value);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.send(new FormData(form));
    });
  });

  // The camera on /verify: a frame of the video is sent as a picture of the QR code.
  var camera = document.querySelector("[data-camera]");
  if (camera && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    camera.hidden = false;
    var start = camera.querySelector("[data-camera-start]");
    var video = camera.querySelector("video");
    var form = camera.querySelector("form");
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        form.hidden = false;
        return video.play();
      }).catch(function () { alert(start.dataset.error); });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(function (blob) {
        var data = new FormData();
        data.append("file", blob, "camera.png");
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.setRequestHeader("x-csrf-token", form.querySelector("[name=_csrf]").value);
        xhr.addEventListener("load", function () {
          document.open();
          document.write(xhr.responseText);
          document.close();
        });
        xhr.send(data);
      }, "image/png");
    });
  }
})();
