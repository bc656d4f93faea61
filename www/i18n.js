// The page's and the embed's texts in English, Spanish and French, and the few functions
// that pick a language and write numbers, percentages and plurals for it (Intl).
//
// Keys are flat: `page.*` for index.html and app.js, `example.*` for embed-example.html,
// `ui.*` for ui.js, and `code.CODE` for the stable codes of refusals and errors
// (`pneumoscan codes` lists them; the core's English `message` is the fallback for a
// code missing here). Placeholders: `{name}` is a param as it is (numbers as the locale
// writes them), `{name:N}` a number with N decimals, rounded half to even as Rust's
// `{:.N}` does. A plural is {one, other}.
// The English code texts are the core's messages, word for word: e2e/i18n-catalogue.test.js
// checks them against `pneumoscan codes`, and that every language has every key.
//
// French typography: a no-break space before ":" and ";" and inside « ».

/** The languages offered, each named in itself. */
export const LANGUAGES = { en: "English", es: "Español", fr: "Français" };

export const DEFAULT_LANGUAGE = "en";

const STORAGE_KEY = "pneumoscan-language";

const en = {
  "page.title": "Pneumoscan — pneumonia classifier for chest X-rays",
  "page.description":
    "Classifies chest X-rays for signs of pneumonia, in your browser. For education and research only.",
  "page.subtitle": "Pneumonia classifier for chest X-rays",
  "page.notice.strong": "Not for clinical use.",
  "page.notice.rest":
    "For education and research only. This model has not been validated for diagnosis and must not guide the care of any patient.",
  "page.footer":
    "Trained on the Kermany et al. (2018) pediatric chest X-ray data set (ages 1–5). Results on other patients or other kinds of images are unknown.",
  "page.update.available": "A new version is available —",
  "page.update.reload": "Reload",

  // embed-example.html (embed-example.js); {name}: the page's own <code> there.
  "example.title": "Pneumoscan — embedding example",
  "example.heading": "Embedding Pneumoscan",
  "example.notice.rest": "For education and research only.",
  "example.element.heading": "1. The ready-made classifier",
  "example.element.text": "Load {module} as a module, then place the element where it should appear:",
  "example.element.lang":
    "It takes this page's language from its {attribute} attribute ({example}); without one, the reader's earlier choice or the browser's languages.",
  "example.element.live": "It runs here, live:",
  "example.api.heading": "2. The classifier without UI",
  "example.api.text":
    "Pages that bring their own interface import {function} from {embed} (or {client}). Classification runs in a worker on WebAssembly; if the browser cannot run it, files are sent to the Pneumoscan server instead, and {path} says so: tell your users.",
  "example.api.download":
    "{progress} counts the bytes of the WebAssembly and the model; {retry} says when a download that was cut off is tried again. When the retries run out, {function} rejects with the code {code}: call it again to retry.",
  "example.api.terminate": "Call {terminate} to stop the worker when done.",

  "ui.language": "Language",
  "ui.privacy.local": "Images never leave this device: they are classified here, in your browser.",
  "ui.privacy.server":
    "WebAssembly is unavailable in this browser, so images are sent to this site's server to be classified.",
  "ui.notice.strong": "Not for clinical use.",
  "ui.notice.rest": "For education and research only; not validated for diagnosis.",
  "ui.model.status": "Model status",
  "ui.model.download": "Model download",
  "ui.model.loading": "Loading the model…",
  "ui.model.bytes": "{loaded} of {total}",
  "ui.model.retrying": "The download was interrupted; trying again in {seconds} s…",
  "ui.model.download_failed": "The model could not be downloaded. Check the connection, then try again.",
  "ui.model.try_again": "Try again",
  "ui.model.server": "Classifying on this site's server ({name})",
  "ui.model.ready": "Model ready ({name}, loaded in {ms:0} ms)",
  "ui.model.failed": "The classifier could not start: {detail}",
  "ui.model.unknown": "unknown model",
  "ui.picker": "Choose X-ray images:",
  "ui.browse": "Browse…",
  "ui.dropzone.title": "Drop chest X-ray images here",
  "ui.dropzone.hint":
    "or click, or press Enter, to choose files. PNG, JPEG, JPEG 2000, DICOM, TIFF, PGM/PPM, BMP, GIF or WebP; several at once.",
  "ui.heatmap.show": "Show heatmap",
  "ui.heatmap.opacity": "Heatmap opacity",
  "ui.export": "Export CSV",
  "ui.clear": "Clear all",
  "ui.results": "Results",
  "ui.unnamed": "unnamed file",
  "ui.preview": "Preview of {name}",
  "ui.no_preview": "No preview",
  "ui.waiting": "Waiting…",
  "ui.waiting.model": "Waiting for the model…",
  "ui.classifying": "Classifying…",
  "ui.verdict.pneumonia": "Pneumonia likely",
  "ui.verdict.normal": "No pneumonia found",
  "ui.verdict.borderline": "Borderline — needs a reader",
  "ui.verdict.leans": "leans {label}",
  "ui.label.NORMAL": "NORMAL",
  "ui.label.PNEUMONIA": "PNEUMONIA",
  "ui.probability": "Pneumonia probability",
  "ui.probability.threshold": "(threshold {threshold})",
  "ui.meter": "{probability}, threshold {threshold}",
  "ui.refused": "Not classified",
  "ui.refused.hint": "Only frontal chest X-rays are classified.",
  "ui.error": "Could not classify this file",
  "ui.reason": "Reason:",
  "ui.technical": "Technical details (in English)",
  "ui.note": "Note:",
  "ui.dicom.file": "DICOM file",
  "ui.dicom.facts": "DICOM: {facts}",
  "ui.dicom.view": "{view} view",
  "ui.dicom.modality.CR": "computed radiography",
  "ui.dicom.modality.DX": "digital radiography",
  "ui.dicom.modality.RG": "radiography",
  "ui.dicom.view.PA": "posteroanterior",
  "ui.dicom.view.AP": "anteroposterior",
  "ui.dicom.view.LL": "left lateral",
  "ui.dicom.view.RL": "right lateral",
  "ui.dicom.view.LAT": "lateral",
  "ui.timings.total": "Total {total} {where} ({parts})",
  "ui.timings.checked": "Checked {where}",
  "ui.timings.decode": "decode {ms}",
  "ui.timings.preprocess": "preprocess {ms}",
  "ui.timings.inference": "inference {ms}",
  "ui.timings.ms": "{ms:0} ms",
  "ui.where.browser": "in this browser",
  "ui.where.server": "on the server",
  "ui.live.progress": { one: "Classified {done} of {total} file", other: "Classified {done} of {total} files" },
  "ui.live.refused": "{count} not classified",
  "ui.live.errors": "{count} could not be read",
  "ui.live.cleared": "Cleared all results",

  // Refusals (src/gate.rs).
  "code.not_chest_xray_colour":
    "not a chest X-ray: this is a colour image (colour {colourfulness:3}; X-rays are grey, limit {limit:3})",
  "code.not_chest_xray_blank":
    "not a chest X-ray: the image is nearly blank (contrast {grey_std:3}, at least {limit:3} needed)",
  "code.not_chest_xray_content":
    "not a chest X-ray: its content does not look like the frontal chest X-rays the model knows (distance {score:0}, limit {limit:0})",
  "code.not_chest_xray_layout":
    "not a chest X-ray: its layout does not match a frontal chest X-ray (distance {score:0}, limit {limit:0})",
  // Errors of the core (src/error.rs).
  "code.empty_file": "the file is empty",
  "code.unsupported_format":
    "not a supported image: {detail}; use JPEG, PNG, JPEG 2000, WebP, TIFF, BMP, GIF, PGM/PPM or DICOM",
  "code.image_too_large":
    "image too large: {detail}; Pneumoscan reads images up to {max_side} pixels per side and {max_megapixels} megapixels",
  "code.image_too_small":
    "image too small: {width}x{height} pixels; at least {min_side} pixels per side are needed",
  "code.damaged_file": "the {format} file is damaged or truncated: {detail}",
  "code.dicom_transfer_syntax":
    "the DICOM file uses {name} (transfer syntax {uid}), which Pneumoscan cannot decode; it reads uncompressed DICOM (implicit or explicit VR little endian, explicit VR big endian), deflated, RLE Lossless, JPEG (baseline, extended 8- and 12-bit, lossless), JPEG-LS and JPEG 2000 (HTJ2K included)",
  "code.dicom_no_pixel_data":
    "the DICOM file holds no image (it has no Pixel Data): it may be a report, a DICOMDIR or another non-image object",
  "code.dicom_unsupported": "this DICOM image is not supported: {detail}",
  "code.internal_error": "internal error while reading this file: {detail}",
  "code.model_card_invalid": "invalid model card: {detail}",
  "code.model_mismatch": "model file does not match its card: expected sha256 {expected}, found {found}",
  "code.model_unreadable": "cannot read model file {path}: {detail}",
  "code.model_load_failed": "cannot load the model: {detail}",
  "code.inference_failed": "inference failed: {detail}",
  "code.decoder_not_loaded": "the {format} decoder is not loaded yet (this build reads PNG and JPEG only)",
  // The CLI's (src/bin/pneumoscan.rs) and the server's (src/server.rs) own.
  "code.file_unreadable": "cannot read {path}: {detail}",
  "code.not_multipart": 'send the image as multipart/form-data in a field named "file" ({detail})',
  "code.missing_file_field": 'missing multipart field "file"',
  "code.upload_too_large": "the upload is larger than this server accepts ({max_mib} MiB at most)",
  "code.bad_multipart": "the upload could not be read ({detail})",
  "code.server_busy": "the server is busy; try again shortly",
  "code.server_internal_error": "internal error",
  // The browser's own (client.js CLIENT_CODES).
  "code.server_unreachable": "could not reach the server ({detail})",
  "code.server_http_error": "the server could not classify it (HTTP {status} {status_text})",
  "code.classifier_stopped": "the classifier was stopped",
  "code.classifier_crashed": "the classifier crashed on this file ({detail}); it was restarted for the other files",
  "code.classifier_restart_failed": "the classifier could not restart: {detail}",
  "code.classifier_worker_failed": "the classifier worker stopped: {detail}",
  "code.classifier_unavailable": "the classifier could not start: {detail}",
  "code.download_failed": "the model could not be downloaded ({detail}); check the connection and try again",
  "code.decoder_unavailable": "could not load the {format} decoder ({detail}); connect to the internet once to download it",

  // The reading room (heatmap.js, viewer.js, folders.js, progress.js, evaluation.js, report.js).
  "heatmap.normal": "Blue: pushes towards NORMAL (below the threshold's logit, {threshold_logit})",
  "heatmap.neutral": "clear: near the threshold",
  "heatmap.units": "logit units from the threshold's logit (full colour: this map's strongest 5% of cells)",
  "heatmap.units.each": "each map is scaled to its strongest cells; the viewer gives its numbers",
  "heatmap.swatch.each":
    "Heatmap colours: blue towards NORMAL, clear at the threshold's logit ({threshold_logit}), orange towards PNEUMONIA; each map's colour is full at its strongest cells",
  "heatmap.pneumonia": "orange: pushes towards PNEUMONIA (above it)",
  "heatmap.swatch":
    "Heatmap colours: full blue {span} or more logit units below the threshold's logit, clear at it, full orange {span} or more above",
  "heatmap.help": "How to read the heatmap",
  "heatmap.help.cells":
    "The model sees the image as a 14 × 14 grid. Each cell holds its local evidence in logit units (the log-odds behind the probability), and the mean of all cells is the image's logit. The map is measured from the threshold's logit, {threshold_logit} (probability {threshold}): orange cells lie above it and push the image towards PNEUMONIA, blue cells lie below it and push towards NORMAL, and cells close to it are left clear. Colour grows in proportion to the distance, up to full colour at the map's strongest cells (the 95th percentile of the distances, given in the viewer), so the amount of orange against the amount of blue is what decides.",
  "heatmap.help.balance":
    "The verdict is the balance of the whole map: an image called NORMAL can have orange areas outweighed by blue ones, and an image called PNEUMONIA blue areas. The grid is coarse (each cell covers 1/14 of the image's width and height); it shows where the network found evidence, not the outline of a lesion, and it is no diagnosis.",
  "heatmap.image.above":
    "On average this map lies {value} logit units above the threshold's logit: orange outweighs blue, so the image is called PNEUMONIA.",
  "heatmap.image.below":
    "On average this map lies {value} logit units below the threshold's logit: blue outweighs orange, so the image is called NORMAL.",
  "heatmap.image.above.borderline":
    "On average this map lies {value} logit units above the threshold's logit: orange outweighs blue, so the image leans PNEUMONIA, too close to the threshold to be called (borderline).",
  "heatmap.image.below.borderline":
    "On average this map lies {value} logit units below the threshold's logit: blue outweighs orange, so the image leans NORMAL, too close to the threshold to be called (borderline).",
  "viewer.open": "Open {name} full size",
  "viewer.close": "Close",
  "viewer.previous": "‹ Previous",
  "viewer.next": "Next ›",
  "viewer.zoom_out": "Zoom out",
  "viewer.zoom_in": "Zoom in",
  "viewer.fit": "Fit",
  "viewer.zoom": "Zoom",
  "viewer.heatmap": "Heatmap",
  "viewer.opacity": "Opacity",
  "viewer.window": "Window",
  "viewer.level": "Level",
  "viewer.reset": "Reset window",
  "viewer.report": "Report…",
  "viewer.position": "File {index} of {total}",
  "viewer.stage": "Image: drag or use the arrow keys to pan, the wheel or + and − to zoom",
  "viewer.tools": "Viewer controls",
  "viewer.keys":
    "Keys: arrows pan · + and − zoom · 0 fits · H heatmap · Page Up and Page Down (or P and N) previous and next file · Esc closes",
  "viewer.cannot_show":
    "This browser cannot show this file full size, and Pneumoscan's own decoder is not running on this page (its files are classified on the server). The result stands.",
  "viewer.cannot_show_format":
    "This browser cannot show {format} images full size, and Pneumoscan's own decoder is not running on this page (its files are classified on the server). The result stands.",
  "viewer.cannot_decode": "This file's image cannot be shown: {reason}.",
  "folders.picker": "Or choose a folder:",
  "batch.label": "Classification progress",
  "batch.count": "{done} of {total} files classified",
  "batch.estimating": "estimating the time left…",
  "batch.left.seconds": "about {n} s left",
  "batch.left.minutes": "about {n} min left",
  "batch.paused": "paused",
  "batch.pause": "Pause",
  "batch.resume": "Resume",
  "batch.cancel": "Cancel the rest",
  "evaluation.title": "Evaluation against the files' labels",
  "evaluation.scored": {
    one: "{n} labelled image scored ({pneumonia} PNEUMONIA, {normal} NORMAL)",
    other: "{n} labelled images scored ({pneumonia} PNEUMONIA, {normal} NORMAL)",
  },
  "evaluation.refused": "{count} of them refused by the gate (still scored, as by pneumoscan eval)",
  "evaluation.errors": "{count} could not be read (left out)",
  "evaluation.unscored": "{count} refused without a probability (left out)",
  "evaluation.pending": "{count} still to classify",
  "evaluation.threshold": "threshold {threshold}",
  "evaluation.confusion": "Confusion matrix",
  "evaluation.called": "called {label}",
  "evaluation.truly": "truly {label}",
  "evaluation.accuracy": "Accuracy",
  "evaluation.sensitivity": "Sensitivity",
  "evaluation.specificity": "Specificity",
  "evaluation.precision": "Precision",
  "evaluation.f1": "F1",
  "evaluation.auc": "AUC",
  "evaluation.roc": "ROC curve; the dot is the operating point at the threshold",
  "evaluation.roc.alt":
    "ROC curve, AUC {auc}; at the threshold {threshold}: false positive rate {fpr}, true positive rate {tpr}",
  "evaluation.roc.x": "False positive rate (1 − specificity)",
  "evaluation.roc.y": "True positive rate",
  "evaluation.roc.point": "threshold {threshold}",
  "evaluation.reliability":
    "Reliability diagram: the observed share of PNEUMONIA in each tenth of predicted probability (bars, with their counts; the dot sits at the bin's mean prediction), against the diagonal of perfect calibration",
  "evaluation.reliability.alt":
    "Reliability diagram in 10 bins of predicted probability; the table below has its numbers",
  "evaluation.reliability.x": "Predicted probability",
  "evaluation.reliability.y": "Observed share of PNEUMONIA",
  "evaluation.reliability.table": "The reliability diagram as a table",
  "evaluation.bin": "Predicted probability",
  "evaluation.count": "Images",
  "evaluation.mean_predicted": "Mean prediction",
  "evaluation.observed": "Observed share of PNEUMONIA",
  "evaluation.note":
    "Labels come from folders named NORMAL or PNEUMONIA in the files' paths, or from a dropped labels CSV (file,label). The figures use the formulas of pneumoscan eval; a small set leaves them very uncertain.",
  "report.dialog": "Report",
  "report.title": "Pneumoscan — chest X-ray report",
  "report.notice":
    "For education and research only. This model has not been validated for diagnosis and must not guide the care of any patient.",
  "report.include_name": "Include the file name (it may identify the patient)",
  "report.print": "Print",
  "report.png": "Download PNG",
  "report.prediction": "Prediction",
  "report.threshold": "Decision threshold",
  "report.model": "Model",
  "report.date": "Report date",
  "report.file": "File",
  "report.no_image": "The image is not shown: this browser cannot display its format.",
  "report.legend":
    "Heatmap: orange regions push towards PNEUMONIA, blue ones towards NORMAL, measured from the threshold's logit ({threshold_logit}); colour grows with the distance, full at {span} logit units (this map's 95th percentile).",
  "report.where.browser": "Classified in the browser by Pneumoscan; the image did not leave the device.",
  "report.where.server": "Classified by Pneumoscan on the site's server.",
};

const es = {
  "page.title": "Pneumoscan — clasificador de neumonía en radiografías de tórax",
  "page.description":
    "Clasifica radiografías de tórax en busca de signos de neumonía, en su navegador. Solo para docencia e investigación.",
  "page.subtitle": "Clasificador de neumonía en radiografías de tórax",
  "page.notice.strong": "No apto para uso clínico.",
  "page.notice.rest":
    "Solo para docencia e investigación. Este modelo no ha sido validado para el diagnóstico y no debe orientar la atención de ningún paciente.",
  "page.footer":
    "Entrenado con el conjunto de radiografías de tórax pediátricas de Kermany et al. (2018) (de 1 a 5 años). Se desconocen los resultados en otros pacientes o en otros tipos de imágenes.",
  "page.update.available": "Hay una nueva versión disponible —",
  "page.update.reload": "Recargar",

  "example.title": "Pneumoscan — ejemplo de integración",
  "example.heading": "Integrar Pneumoscan",
  "example.notice.rest": "Solo para docencia e investigación.",
  "example.element.heading": "1. El clasificador listo para usar",
  "example.element.text": "Cargue {module} como módulo y coloque el elemento donde deba aparecer:",
  "example.element.lang":
    "Toma el idioma de esta página de su atributo {attribute} ({example}); sin él, la elección anterior del lector o los idiomas del navegador.",
  "example.element.live": "Funciona aquí, en directo:",
  "example.api.heading": "2. El clasificador sin interfaz",
  "example.api.text":
    "Las páginas que traen su propia interfaz importan {function} de {embed} (o de {client}). La clasificación se hace en un worker con WebAssembly; si el navegador no puede ejecutarlo, los archivos se envían al servidor de Pneumoscan y {path} lo indica: avise a sus usuarios.",
  "example.api.download":
    "{progress} cuenta los bytes del WebAssembly y del modelo; {retry} avisa cuando se reintenta una descarga interrumpida. Si se agotan los reintentos, {function} se rechaza con el código {code}: vuelva a llamarla para reintentar.",
  "example.api.terminate": "Llame a {terminate} para detener el worker al terminar.",

  "ui.language": "Idioma",
  "ui.privacy.local": "Las imágenes nunca salen de este dispositivo: se clasifican aquí, en su navegador.",
  "ui.privacy.server":
    "WebAssembly no está disponible en este navegador, así que las imágenes se envían al servidor de este sitio para clasificarlas.",
  "ui.notice.strong": "No apto para uso clínico.",
  "ui.notice.rest": "Solo para docencia e investigación; no validado para el diagnóstico.",
  "ui.model.status": "Estado del modelo",
  "ui.model.download": "Descarga del modelo",
  "ui.model.loading": "Cargando el modelo…",
  "ui.model.bytes": "{loaded} de {total}",
  "ui.model.retrying": "Se interrumpió la descarga; nuevo intento en {seconds} s…",
  "ui.model.download_failed": "No se pudo descargar el modelo. Compruebe la conexión y vuelva a intentarlo.",
  "ui.model.try_again": "Reintentar",
  "ui.model.server": "Clasificando en el servidor de este sitio ({name})",
  "ui.model.ready": "Modelo listo ({name}, cargado en {ms:0} ms)",
  "ui.model.failed": "El clasificador no pudo iniciarse: {detail}",
  "ui.model.unknown": "modelo desconocido",
  "ui.picker": "Elegir radiografías:",
  "ui.browse": "Examinar…",
  "ui.dropzone.title": "Suelte aquí las radiografías de tórax",
  "ui.dropzone.hint":
    "o haga clic, o pulse Intro, para elegir archivos. PNG, JPEG, JPEG 2000, DICOM, TIFF, PGM/PPM, BMP, GIF o WebP; varios a la vez.",
  "ui.heatmap.show": "Mostrar mapa de calor",
  "ui.heatmap.opacity": "Opacidad del mapa de calor",
  "ui.export": "Exportar CSV",
  "ui.clear": "Borrar todo",
  "ui.results": "Resultados",
  "ui.unnamed": "archivo sin nombre",
  "ui.preview": "Vista previa de {name}",
  "ui.no_preview": "Sin vista previa",
  "ui.waiting": "En espera…",
  "ui.waiting.model": "Esperando el modelo…",
  "ui.classifying": "Clasificando…",
  "ui.verdict.pneumonia": "Neumonía probable",
  "ui.verdict.normal": "No se detecta neumonía",
  "ui.verdict.borderline": "Dudoso — requiere la lectura de un especialista",
  "ui.verdict.leans": "tiende a {label}",
  "ui.label.NORMAL": "NORMAL",
  "ui.label.PNEUMONIA": "NEUMONÍA",
  "ui.probability": "Probabilidad de neumonía",
  "ui.probability.threshold": "(umbral {threshold})",
  "ui.meter": "{probability}, umbral {threshold}",
  "ui.refused": "No clasificada",
  "ui.refused.hint": "Solo se clasifican radiografías de tórax frontales.",
  "ui.error": "No se pudo clasificar este archivo",
  "ui.reason": "Motivo:",
  "ui.technical": "Detalles técnicos (en inglés)",
  "ui.note": "Nota:",
  "ui.dicom.file": "Archivo DICOM",
  "ui.dicom.facts": "DICOM: {facts}",
  "ui.dicom.view": "vista {view}",
  "ui.dicom.modality.CR": "radiografía computarizada",
  "ui.dicom.modality.DX": "radiografía digital",
  "ui.dicom.modality.RG": "radiografía",
  "ui.dicom.view.PA": "posteroanterior",
  "ui.dicom.view.AP": "anteroposterior",
  "ui.dicom.view.LL": "lateral izquierda",
  "ui.dicom.view.RL": "lateral derecha",
  "ui.dicom.view.LAT": "lateral",
  "ui.timings.total": "Total {total} {where} ({parts})",
  "ui.timings.checked": "Comprobado {where}",
  "ui.timings.decode": "decodificación {ms}",
  "ui.timings.preprocess": "preprocesado {ms}",
  "ui.timings.inference": "inferencia {ms}",
  "ui.timings.ms": "{ms:0} ms",
  "ui.where.browser": "en este navegador",
  "ui.where.server": "en el servidor",
  "ui.live.progress": {
    one: "Clasificado {done} de {total} archivo",
    other: "Clasificados {done} de {total} archivos",
  },
  "ui.live.refused": "{count} sin clasificar",
  "ui.live.errors": "{count} ilegibles",
  "ui.live.cleared": "Se borraron todos los resultados",

  "code.not_chest_xray_colour":
    "no es una radiografía de tórax: es una imagen en color (color {colourfulness:3}; las radiografías son grises, límite {limit:3})",
  "code.not_chest_xray_blank":
    "no es una radiografía de tórax: la imagen está casi vacía (contraste {grey_std:3}; se necesita al menos {limit:3})",
  "code.not_chest_xray_content":
    "no es una radiografía de tórax: su contenido no se parece a las radiografías de tórax frontales que conoce el modelo (distancia {score:0}, límite {limit:0})",
  "code.not_chest_xray_layout":
    "no es una radiografía de tórax: su disposición no corresponde a la de una radiografía de tórax frontal (distancia {score:0}, límite {limit:0})",
  "code.empty_file": "el archivo está vacío",
  "code.unsupported_format":
    "no es una imagen compatible; use JPEG, PNG, JPEG 2000, WebP, TIFF, BMP, GIF, PGM/PPM o DICOM",
  "code.image_too_large":
    "imagen demasiado grande; Pneumoscan lee imágenes de hasta {max_side} píxeles por lado y {max_megapixels} megapíxeles",
  "code.image_too_small":
    "imagen demasiado pequeña: {width} × {height} píxeles; se necesitan al menos {min_side} píxeles por lado",
  "code.damaged_file": "el archivo {format} está dañado o incompleto",
  "code.dicom_transfer_syntax":
    "el archivo DICOM usa una codificación que Pneumoscan no puede decodificar (sintaxis de transferencia {uid}); lee DICOM sin comprimir (VR implícito o explícito little endian, VR explícito big endian), deflate, RLE Lossless, JPEG (baseline, extendido de 8 y 12 bits, sin pérdida), JPEG-LS y JPEG 2000 (incluido HTJ2K)",
  "code.dicom_no_pixel_data":
    "el archivo DICOM no contiene ninguna imagen (no tiene Pixel Data): puede ser un informe, un DICOMDIR u otro objeto sin imagen",
  "code.dicom_unsupported": "este tipo de imagen DICOM no es compatible",
  "code.internal_error": "error interno al leer este archivo (un fallo de Pneumoscan)",
  "code.model_card_invalid": "la ficha del modelo no es válida",
  "code.model_mismatch":
    "el archivo del modelo no coincide con su ficha: sha256 esperado {expected}, encontrado {found}",
  "code.model_unreadable": "no se puede leer el archivo del modelo {path}",
  "code.model_load_failed": "no se puede cargar el modelo",
  "code.inference_failed": "falló la inferencia",
  "code.decoder_not_loaded": "el decodificador de {format} aún no está cargado",
  "code.file_unreadable": "no se puede leer {path}",
  "code.not_multipart": 'envíe la imagen como multipart/form-data en un campo llamado "file"',
  "code.missing_file_field": 'falta el campo multipart "file"',
  "code.upload_too_large": "el archivo supera lo que acepta este servidor ({max_mib} MiB como máximo)",
  "code.bad_multipart": "no se pudo leer el envío",
  "code.server_busy": "el servidor está ocupado; inténtelo de nuevo en unos instantes",
  "code.server_internal_error": "error interno del servidor",
  "code.server_unreachable": "no se pudo contactar con el servidor",
  "code.server_http_error": "el servidor no pudo clasificarlo (HTTP {status})",
  "code.classifier_stopped": "el clasificador se detuvo",
  "code.classifier_crashed": "el clasificador falló con este archivo; se reinició para los demás",
  "code.classifier_restart_failed": "el clasificador no pudo reiniciarse",
  "code.classifier_worker_failed": "el proceso del clasificador se detuvo",
  "code.classifier_unavailable": "el clasificador no pudo iniciarse",
  "code.download_failed": "no se pudo descargar el modelo; compruebe la conexión y vuelva a intentarlo",
  "code.decoder_unavailable":
    "no se pudo cargar el decodificador de {format}; conéctese a internet una vez para descargarlo",

  // The reading room (heatmap.js, viewer.js, folders.js, progress.js, evaluation.js, report.js).
  "heatmap.normal": "Azul: empuja hacia NORMAL (por debajo del logit del umbral, {threshold_logit})",
  "heatmap.neutral": "transparente: cerca del umbral",
  "heatmap.units": "unidades logit desde el logit del umbral (color pleno: el 5\u00a0% de celdas más fuertes de este mapa)",
  "heatmap.units.each": "cada mapa se escala a sus celdas más fuertes; el visor da sus cifras",
  "heatmap.swatch.each":
    "Colores del mapa de calor: azul hacia NORMAL, transparente en el logit del umbral ({threshold_logit}), naranja hacia NEUMONÍA; el color de cada mapa es pleno en sus celdas más fuertes",
  "heatmap.pneumonia": "naranja: empuja hacia NEUMONÍA (por encima)",
  "heatmap.swatch":
    "Colores del mapa de calor: azul pleno a {span} o más unidades logit por debajo del logit del umbral, transparente en él, naranja pleno a {span} o más por encima",
  "heatmap.help": "Cómo leer el mapa de calor",
  "heatmap.help.cells":
    "El modelo ve la imagen como una cuadrícula de 14 × 14. Cada celda contiene su evidencia local en unidades logit (el logaritmo de la razón de probabilidades que hay detrás de la probabilidad), y la media de todas las celdas es el logit de la imagen. El mapa se mide desde el logit del umbral, {threshold_logit} (probabilidad {threshold}): las celdas naranjas están por encima y empujan la imagen hacia NEUMONÍA, las azules están por debajo y empujan hacia NORMAL, y las cercanas quedan transparentes. El color crece en proporción a la distancia, hasta el color pleno en las celdas más fuertes del mapa (el percentil 95 de las distancias, que da el visor), de modo que lo que decide es la cantidad de naranja frente a la de azul.",
  "heatmap.help.balance":
    "El veredicto es el balance de todo el mapa: una imagen clasificada como NORMAL puede tener zonas naranjas compensadas por otras azules, y una imagen con NEUMONÍA zonas azules. La cuadrícula es gruesa (cada celda cubre 1/14 del ancho y del alto de la imagen); muestra dónde encontró evidencia la red, no el contorno de una lesión, y no es un diagnóstico.",
  "heatmap.image.above":
    "En promedio, este mapa está {value} unidades logit por encima del logit del umbral: el naranja pesa más que el azul, por eso la imagen se clasifica como NEUMONÍA.",
  "heatmap.image.below":
    "En promedio, este mapa está {value} unidades logit por debajo del logit del umbral: el azul pesa más que el naranja, por eso la imagen se clasifica como NORMAL.",
  "heatmap.image.above.borderline":
    "En promedio, este mapa está {value} unidades logit por encima del logit del umbral: el naranja pesa más que el azul, por eso la imagen tiende a NEUMONÍA, demasiado cerca del umbral para clasificarla (dudosa).",
  "heatmap.image.below.borderline":
    "En promedio, este mapa está {value} unidades logit por debajo del logit del umbral: el azul pesa más que el naranja, por eso la imagen tiende a NORMAL, demasiado cerca del umbral para clasificarla (dudosa).",
  "viewer.open": "Abrir {name} a tamaño completo",
  "viewer.close": "Cerrar",
  "viewer.previous": "‹ Anterior",
  "viewer.next": "Siguiente ›",
  "viewer.zoom_out": "Alejar",
  "viewer.zoom_in": "Acercar",
  "viewer.fit": "Ajustar",
  "viewer.zoom": "Zoom",
  "viewer.heatmap": "Mapa de calor",
  "viewer.opacity": "Opacidad",
  "viewer.window": "Ventana",
  "viewer.level": "Nivel",
  "viewer.reset": "Restablecer la ventana",
  "viewer.report": "Informe…",
  "viewer.position": "Archivo {index} de {total}",
  "viewer.stage": "Imagen: arrastre o use las flechas para desplazarla, la rueda o + y − para el zoom",
  "viewer.tools": "Controles del visor",
  "viewer.keys":
    "Teclas: flechas desplazan · + y − zoom · 0 ajusta · H mapa de calor · Re Pág y Av Pág (o P y N) archivo anterior y siguiente · Esc cierra",
  "viewer.cannot_show":
    "Este navegador no puede mostrar este archivo a tamaño completo, y el decodificador propio de Pneumoscan no funciona en esta página (sus archivos se clasifican en el servidor). El resultado es válido.",
  "viewer.cannot_show_format":
    "Este navegador no puede mostrar imágenes {format} a tamaño completo, y el decodificador propio de Pneumoscan no funciona en esta página (sus archivos se clasifican en el servidor). El resultado es válido.",
  "viewer.cannot_decode": "La imagen de este archivo no se puede mostrar: {reason}.",
  "folders.picker": "O elegir una carpeta:",
  "batch.label": "Progreso de la clasificación",
  "batch.count": "{done} de {total} archivos clasificados",
  "batch.estimating": "calculando el tiempo restante…",
  "batch.left.seconds": "quedan unos {n} s",
  "batch.left.minutes": "quedan unos {n} min",
  "batch.paused": "en pausa",
  "batch.pause": "Pausa",
  "batch.resume": "Reanudar",
  "batch.cancel": "Cancelar el resto",
  "evaluation.title": "Evaluación frente a las etiquetas de los archivos",
  "evaluation.scored": {
    one: "{n} imagen etiquetada evaluada ({pneumonia} NEUMONÍA, {normal} NORMAL)",
    other: "{n} imágenes etiquetadas evaluadas ({pneumonia} NEUMONÍA, {normal} NORMAL)",
  },
  "evaluation.refused": "{count} rechazadas por el filtro (evaluadas igualmente, como en pneumoscan eval)",
  "evaluation.errors": "{count} ilegibles (excluidas)",
  "evaluation.unscored": "{count} rechazadas sin probabilidad (excluidas)",
  "evaluation.pending": "{count} por clasificar",
  "evaluation.threshold": "umbral {threshold}",
  "evaluation.confusion": "Matriz de confusión",
  "evaluation.called": "clasificada {label}",
  "evaluation.truly": "realmente {label}",
  "evaluation.accuracy": "Exactitud",
  "evaluation.sensitivity": "Sensibilidad",
  "evaluation.specificity": "Especificidad",
  "evaluation.precision": "Precisión",
  "evaluation.f1": "F1",
  "evaluation.auc": "AUC",
  "evaluation.roc": "Curva ROC; el punto es el punto de trabajo en el umbral",
  "evaluation.roc.alt":
    "Curva ROC, AUC {auc}; en el umbral {threshold}: tasa de falsos positivos {fpr}, tasa de verdaderos positivos {tpr}",
  "evaluation.roc.x": "Tasa de falsos positivos (1 − especificidad)",
  "evaluation.roc.y": "Tasa de verdaderos positivos",
  "evaluation.roc.point": "umbral {threshold}",
  "evaluation.reliability":
    "Diagrama de fiabilidad: la proporción observada de NEUMONÍA en cada décimo de probabilidad predicha (barras, con sus recuentos; el punto está en la predicción media del intervalo), frente a la diagonal de calibración perfecta",
  "evaluation.reliability.alt":
    "Diagrama de fiabilidad en 10 intervalos de probabilidad predicha; la tabla de abajo tiene sus cifras",
  "evaluation.reliability.x": "Probabilidad predicha",
  "evaluation.reliability.y": "Proporción observada de NEUMONÍA",
  "evaluation.reliability.table": "El diagrama de fiabilidad en forma de tabla",
  "evaluation.bin": "Probabilidad predicha",
  "evaluation.count": "Imágenes",
  "evaluation.mean_predicted": "Predicción media",
  "evaluation.observed": "Proporción observada de NEUMONÍA",
  "evaluation.note":
    "Las etiquetas provienen de carpetas llamadas NORMAL o PNEUMONIA en la ruta de los archivos, o de un CSV de etiquetas soltado (file,label). Las cifras usan las fórmulas de pneumoscan eval; con un conjunto pequeño son muy inciertas.",
  "report.dialog": "Informe",
  "report.title": "Pneumoscan — informe de radiografía de tórax",
  "report.notice":
    "Solo para docencia e investigación. Este modelo no ha sido validado para el diagnóstico y no debe orientar la atención de ningún paciente.",
  "report.include_name": "Incluir el nombre del archivo (puede identificar al paciente)",
  "report.print": "Imprimir",
  "report.png": "Descargar PNG",
  "report.prediction": "Predicción",
  "report.threshold": "Umbral de decisión",
  "report.model": "Modelo",
  "report.date": "Fecha del informe",
  "report.file": "Archivo",
  "report.no_image": "La imagen no se muestra: este navegador no puede mostrar su formato.",
  "report.legend":
    "Mapa de calor: las zonas naranjas empujan hacia NEUMONÍA y las azules hacia NORMAL, medidas desde el logit del umbral ({threshold_logit}); el color crece con la distancia, pleno a {span} unidades logit (el percentil 95 de este mapa).",
  "report.where.browser": "Clasificado en el navegador por Pneumoscan; la imagen no salió del dispositivo.",
  "report.where.server": "Clasificado por Pneumoscan en el servidor del sitio.",
};

const fr = {
  "page.title": "Pneumoscan — détection de pneumonie sur radiographies thoraciques",
  "page.description":
    "Recherche des signes de pneumonie sur des radiographies thoraciques, dans votre navigateur. Pour l'enseignement et la recherche uniquement.",
  "page.subtitle": "Détection de pneumonie sur radiographies thoraciques",
  "page.notice.strong": "Pas pour un usage clinique.",
  "page.notice.rest":
    "Pour l'enseignement et la recherche uniquement. Ce modèle n'a pas été validé pour le diagnostic et ne doit guider la prise en charge d'aucun patient.",
  "page.footer":
    "Entraîné sur le jeu de radiographies thoraciques pédiatriques de Kermany et al. (2018) (enfants de 1 à 5 ans). Les résultats sur d'autres patients ou d'autres types d'images sont inconnus.",
  "page.update.available": "Une nouvelle version est disponible —",
  "page.update.reload": "Recharger",

  "example.title": "Pneumoscan — exemple d'intégration",
  "example.heading": "Intégrer Pneumoscan",
  "example.notice.rest": "Pour l'enseignement et la recherche uniquement.",
  "example.element.heading": "1. Le classificateur prêt à l'emploi",
  "example.element.text": "Chargez {module} comme module, puis placez l'élément là où il doit apparaître\u00a0:",
  "example.element.lang":
    "Il prend la langue de cette page dans son attribut {attribute} ({example})\u00a0; sans lui, le choix précédent du lecteur ou les langues du navigateur.",
  "example.element.live": "Il fonctionne ici, en direct\u00a0:",
  "example.api.heading": "2. Le classificateur sans interface",
  "example.api.text":
    "Les pages qui apportent leur propre interface importent {function} depuis {embed} (ou {client}). Le classement se fait dans un worker en WebAssembly\u00a0; si le navigateur ne peut pas l'exécuter, les fichiers sont envoyés au serveur de Pneumoscan, et {path} l'indique\u00a0: prévenez vos utilisateurs.",
  "example.api.download":
    "{progress} compte les octets du WebAssembly et du modèle\u00a0; {retry} signale qu'un téléchargement interrompu est relancé. Quand les nouvelles tentatives sont épuisées, {function} est rejetée avec le code {code}\u00a0: rappelez-la pour réessayer.",
  "example.api.terminate": "Appelez {terminate} pour arrêter le worker une fois terminé.",

  "ui.language": "Langue",
  "ui.privacy.local":
    "Les images ne quittent jamais cet appareil\u00a0: elles sont classées ici, dans votre navigateur.",
  "ui.privacy.server":
    "WebAssembly n'est pas disponible dans ce navigateur\u00a0: les images sont envoyées au serveur de ce site pour être classées.",
  "ui.notice.strong": "Pas pour un usage clinique.",
  "ui.notice.rest": "Pour l'enseignement et la recherche uniquement\u00a0; non validé pour le diagnostic.",
  "ui.model.status": "État du modèle",
  "ui.model.download": "Téléchargement du modèle",
  "ui.model.loading": "Chargement du modèle…",
  "ui.model.bytes": "{loaded} sur {total}",
  "ui.model.retrying": "Le téléchargement a été interrompu\u00a0; nouvel essai dans {seconds}\u00a0s…",
  "ui.model.download_failed": "Le modèle n'a pas pu être téléchargé. Vérifiez la connexion, puis réessayez.",
  "ui.model.try_again": "Réessayer",
  "ui.model.server": "Classement sur le serveur de ce site ({name})",
  "ui.model.ready": "Modèle prêt ({name}, chargé en {ms:0} ms)",
  "ui.model.failed": "Le classificateur n'a pas pu démarrer\u00a0: {detail}",
  "ui.model.unknown": "modèle inconnu",
  "ui.picker": "Choisir des radiographies\u00a0:",
  "ui.browse": "Parcourir…",
  "ui.dropzone.title": "Déposez ici des radiographies thoraciques",
  "ui.dropzone.hint":
    "ou cliquez, ou appuyez sur Entrée, pour choisir des fichiers. PNG, JPEG, JPEG 2000, DICOM, TIFF, PGM/PPM, BMP, GIF ou WebP\u00a0; plusieurs à la fois.",
  "ui.heatmap.show": "Afficher la carte de chaleur",
  "ui.heatmap.opacity": "Opacité de la carte de chaleur",
  "ui.export": "Exporter en CSV",
  "ui.clear": "Tout effacer",
  "ui.results": "Résultats",
  "ui.unnamed": "fichier sans nom",
  "ui.preview": "Aperçu de {name}",
  "ui.no_preview": "Pas d'aperçu",
  "ui.waiting": "En attente…",
  "ui.waiting.model": "En attente du modèle…",
  "ui.classifying": "Classement…",
  "ui.verdict.pneumonia": "Pneumonie probable",
  "ui.verdict.normal": "Pas de pneumonie détectée",
  "ui.verdict.borderline": "Limite — à faire relire",
  "ui.verdict.leans": "penche vers {label}",
  "ui.label.NORMAL": "NORMAL",
  "ui.label.PNEUMONIA": "PNEUMONIE",
  "ui.probability": "Probabilité de pneumonie",
  "ui.probability.threshold": "(seuil {threshold})",
  "ui.meter": "{probability}, seuil {threshold}",
  "ui.refused": "Non classée",
  "ui.refused.hint": "Seules les radiographies thoraciques de face sont classées.",
  "ui.error": "Impossible de classer ce fichier",
  "ui.reason": "Motif\u00a0:",
  "ui.technical": "Détails techniques (en anglais)",
  "ui.note": "Remarque\u00a0:",
  "ui.dicom.file": "Fichier DICOM",
  "ui.dicom.facts": "DICOM\u00a0: {facts}",
  "ui.dicom.view": "incidence {view}",
  "ui.dicom.modality.CR": "radiographie numérisée",
  "ui.dicom.modality.DX": "radiographie numérique",
  "ui.dicom.modality.RG": "radiographie",
  "ui.dicom.view.PA": "postéro-antérieure",
  "ui.dicom.view.AP": "antéro-postérieure",
  "ui.dicom.view.LL": "latérale gauche",
  "ui.dicom.view.RL": "latérale droite",
  "ui.dicom.view.LAT": "latérale",
  "ui.timings.total": "Total {total} {where} ({parts})",
  "ui.timings.checked": "Vérifié {where}",
  "ui.timings.decode": "décodage {ms}",
  "ui.timings.preprocess": "prétraitement {ms}",
  "ui.timings.inference": "inférence {ms}",
  "ui.timings.ms": "{ms:0} ms",
  "ui.where.browser": "dans ce navigateur",
  "ui.where.server": "sur le serveur",
  "ui.live.progress": {
    one: "{done} fichier classé sur {total}",
    other: "{done} fichiers classés sur {total}",
  },
  "ui.live.refused": "{count} non classé(s)",
  "ui.live.errors": "{count} illisible(s)",
  "ui.live.cleared": "Tous les résultats ont été effacés",

  "code.not_chest_xray_colour":
    "ce n'est pas une radiographie thoracique\u00a0: c'est une image en couleur (couleur {colourfulness:3}\u00a0; les radiographies sont en niveaux de gris, limite {limit:3})",
  "code.not_chest_xray_blank":
    "ce n'est pas une radiographie thoracique\u00a0: l'image est presque uniforme (contraste {grey_std:3}, il faut au moins {limit:3})",
  "code.not_chest_xray_content":
    "ce n'est pas une radiographie thoracique\u00a0: son contenu ne ressemble pas aux radiographies thoraciques de face que le modèle connaît (distance {score:0}, limite {limit:0})",
  "code.not_chest_xray_layout":
    "ce n'est pas une radiographie thoracique\u00a0: sa disposition ne correspond pas à celle d'une radiographie thoracique de face (distance {score:0}, limite {limit:0})",
  "code.empty_file": "le fichier est vide",
  "code.unsupported_format":
    "ce n'est pas une image prise en charge\u00a0; utilisez JPEG, PNG, JPEG 2000, WebP, TIFF, BMP, GIF, PGM/PPM ou DICOM",
  "code.image_too_large":
    "image trop grande\u00a0; Pneumoscan lit les images jusqu'à {max_side} pixels de côté et {max_megapixels} mégapixels",
  "code.image_too_small":
    "image trop petite\u00a0: {width} × {height} pixels\u00a0; il faut au moins {min_side} pixels de côté",
  "code.damaged_file": "le fichier {format} est endommagé ou tronqué",
  "code.dicom_transfer_syntax":
    "le fichier DICOM utilise un encodage que Pneumoscan ne sait pas décoder (syntaxe de transfert {uid})\u00a0; il lit le DICOM non compressé (VR implicite ou explicite little endian, VR explicite big endian), deflate, RLE Lossless, JPEG (baseline, étendu 8 et 12 bits, sans perte), JPEG-LS et JPEG 2000 (HTJ2K compris)",
  "code.dicom_no_pixel_data":
    "le fichier DICOM ne contient aucune image (pas de Pixel Data)\u00a0: c'est peut-être un compte rendu, un DICOMDIR ou un autre objet sans image",
  "code.dicom_unsupported": "ce type d'image DICOM n'est pas pris en charge",
  "code.internal_error": "erreur interne pendant la lecture de ce fichier (un défaut de Pneumoscan)",
  "code.model_card_invalid": "la fiche du modèle n'est pas valide",
  "code.model_mismatch":
    "le fichier du modèle ne correspond pas à sa fiche\u00a0: sha256 attendu {expected}, trouvé {found}",
  "code.model_unreadable": "impossible de lire le fichier du modèle {path}",
  "code.model_load_failed": "impossible de charger le modèle",
  "code.inference_failed": "l'inférence a échoué",
  "code.decoder_not_loaded": "le décodeur {format} n'est pas encore chargé",
  "code.file_unreadable": "impossible de lire {path}",
  "code.not_multipart": "envoyez l'image en multipart/form-data dans un champ nommé «\u00a0file\u00a0»",
  "code.missing_file_field": "champ multipart «\u00a0file\u00a0» manquant",
  "code.upload_too_large": "le fichier dépasse ce que ce serveur accepte ({max_mib} Mio au plus)",
  "code.bad_multipart": "l'envoi n'a pas pu être lu",
  "code.server_busy": "le serveur est occupé\u00a0; réessayez dans un instant",
  "code.server_internal_error": "erreur interne du serveur",
  "code.server_unreachable": "impossible de joindre le serveur",
  "code.server_http_error": "le serveur n'a pas pu le classer (HTTP {status})",
  "code.classifier_stopped": "le classificateur a été arrêté",
  "code.classifier_crashed": "le classificateur a planté sur ce fichier\u00a0; il a été redémarré pour les autres",
  "code.classifier_restart_failed": "le classificateur n'a pas pu redémarrer",
  "code.classifier_worker_failed": "le processus du classificateur s'est arrêté",
  "code.classifier_unavailable": "le classificateur n'a pas pu démarrer",
  "code.download_failed": "le modèle n'a pas pu être téléchargé\u00a0; vérifiez la connexion et réessayez",
  "code.decoder_unavailable":
    "impossible de charger le décodeur {format}\u00a0; connectez-vous une fois à internet pour le télécharger",

  // The reading room (heatmap.js, viewer.js, folders.js, progress.js, evaluation.js, report.js).
  "heatmap.normal": "Bleu\u00a0: pousse vers NORMAL (sous le logit du seuil, {threshold_logit})",
  "heatmap.neutral": "transparent\u00a0: près du seuil",
  "heatmap.units": "unités logit à partir du logit du seuil (couleur pleine\u00a0: les 5\u00a0% de cases les plus fortes de cette carte)",
  "heatmap.units.each": "chaque carte est mise à l'échelle de ses cases les plus fortes\u00a0; la visionneuse en donne les chiffres",
  "heatmap.swatch.each":
    "Couleurs de la carte de chaleur\u00a0: bleu vers NORMAL, transparent au logit du seuil ({threshold_logit}), orange vers PNEUMONIE\u00a0; la couleur de chaque carte est pleine à ses cases les plus fortes",
  "heatmap.pneumonia": "orange\u00a0: pousse vers PNEUMONIE (au-dessus)",
  "heatmap.swatch":
    "Couleurs de la carte de chaleur\u00a0: bleu plein à {span} unités logit ou plus sous le logit du seuil, transparent au seuil, orange plein à {span} ou plus au-dessus",
  "heatmap.help": "Comment lire la carte de chaleur",
  "heatmap.help.cells":
    "Le modèle voit l'image comme une grille de 14 × 14. Chaque case porte son indice local en unités logit (le logarithme de la cote qui sous-tend la probabilité), et la moyenne de toutes les cases est le logit de l'image. La carte est mesurée à partir du logit du seuil, {threshold_logit} (probabilité {threshold})\u00a0: les cases orange sont au-dessus et poussent l'image vers PNEUMONIE, les bleues sont en dessous et poussent vers NORMAL, celles qui en sont proches restent transparentes. La couleur croît en proportion de la distance, jusqu'à la couleur pleine aux cases les plus fortes de la carte (le 95e centile des distances, donné dans la visionneuse)\u00a0: c'est la quantité d'orange face à la quantité de bleu qui décide.",
  "heatmap.help.balance":
    "Le verdict est le bilan de toute la carte\u00a0: une image classée NORMAL peut avoir des zones orange compensées par des bleues, et une image classée PNEUMONIE des zones bleues. La grille est grossière (chaque case couvre 1/14 de la largeur et de la hauteur de l'image)\u00a0; elle montre où le réseau a trouvé des indices, pas le contour d'une lésion, et ce n'est pas un diagnostic.",
  "heatmap.image.above":
    "En moyenne, cette carte est à {value} unités logit au-dessus du logit du seuil\u00a0: l'orange l'emporte sur le bleu, d'où PNEUMONIE.",
  "heatmap.image.below":
    "En moyenne, cette carte est à {value} unités logit sous le logit du seuil\u00a0: le bleu l'emporte sur l'orange, d'où NORMAL.",
  "heatmap.image.above.borderline":
    "En moyenne, cette carte est à {value} unités logit au-dessus du logit du seuil\u00a0: l'orange l'emporte sur le bleu, l'image penche vers PNEUMONIE, trop près du seuil pour être classée (limite).",
  "heatmap.image.below.borderline":
    "En moyenne, cette carte est à {value} unités logit sous le logit du seuil\u00a0: le bleu l'emporte sur l'orange, l'image penche vers NORMAL, trop près du seuil pour être classée (limite).",
  "viewer.open": "Ouvrir {name} en taille réelle",
  "viewer.close": "Fermer",
  "viewer.previous": "‹ Précédent",
  "viewer.next": "Suivant ›",
  "viewer.zoom_out": "Zoom arrière",
  "viewer.zoom_in": "Zoom avant",
  "viewer.fit": "Ajuster",
  "viewer.zoom": "Zoom",
  "viewer.heatmap": "Carte de chaleur",
  "viewer.opacity": "Opacité",
  "viewer.window": "Fenêtre",
  "viewer.level": "Niveau",
  "viewer.reset": "Réinitialiser la fenêtre",
  "viewer.report": "Compte rendu…",
  "viewer.position": "Fichier {index} sur {total}",
  "viewer.stage":
    "Image\u00a0: faites-la glisser ou utilisez les flèches pour la déplacer, la molette ou + et − pour zoomer",
  "viewer.tools": "Commandes de la visionneuse",
  "viewer.keys":
    "Touches\u00a0: flèches pour déplacer · + et − zoom · 0 ajuste · H carte de chaleur · Page préc. et Page suiv. (ou P et N) fichier précédent et suivant · Échap ferme",
  "viewer.cannot_show":
    "Ce navigateur ne peut pas afficher ce fichier en taille réelle, et le décodeur de Pneumoscan ne fonctionne pas sur cette page (ses fichiers sont classés sur le serveur). Le résultat reste valable.",
  "viewer.cannot_show_format":
    "Ce navigateur ne peut pas afficher les images {format} en taille réelle, et le décodeur de Pneumoscan ne fonctionne pas sur cette page (ses fichiers sont classés sur le serveur). Le résultat reste valable.",
  "viewer.cannot_decode": "L'image de ce fichier ne peut pas être affichée\u00a0: {reason}.",
  "folders.picker": "Ou choisir un dossier\u00a0:",
  "batch.label": "Progression de la classification",
  "batch.count": "{done} fichiers classés sur {total}",
  "batch.estimating": "estimation du temps restant…",
  "batch.left.seconds": "environ {n} s restantes",
  "batch.left.minutes": "environ {n} min restantes",
  "batch.paused": "en pause",
  "batch.pause": "Pause",
  "batch.resume": "Reprendre",
  "batch.cancel": "Annuler le reste",
  "evaluation.title": "Évaluation par rapport aux étiquettes des fichiers",
  "evaluation.scored": {
    one: "{n} image étiquetée évaluée ({pneumonia} PNEUMONIE, {normal} NORMAL)",
    other: "{n} images étiquetées évaluées ({pneumonia} PNEUMONIE, {normal} NORMAL)",
  },
  "evaluation.refused": "dont {count} refusées par le filtre (évaluées quand même, comme par pneumoscan eval)",
  "evaluation.errors": "{count} illisibles (exclues)",
  "evaluation.unscored": "{count} refusées sans probabilité (exclues)",
  "evaluation.pending": "{count} encore à classer",
  "evaluation.threshold": "seuil {threshold}",
  "evaluation.confusion": "Matrice de confusion",
  "evaluation.called": "classée {label}",
  "evaluation.truly": "réellement {label}",
  "evaluation.accuracy": "Exactitude",
  "evaluation.sensitivity": "Sensibilité",
  "evaluation.specificity": "Spécificité",
  "evaluation.precision": "Précision",
  "evaluation.f1": "F1",
  "evaluation.auc": "AUC",
  "evaluation.roc": "Courbe ROC\u00a0; le point est le point de fonctionnement au seuil",
  "evaluation.roc.alt":
    "Courbe ROC, AUC {auc}\u00a0; au seuil {threshold}\u00a0: taux de faux positifs {fpr}, taux de vrais positifs {tpr}",
  "evaluation.roc.x": "Taux de faux positifs (1 − spécificité)",
  "evaluation.roc.y": "Taux de vrais positifs",
  "evaluation.roc.point": "seuil {threshold}",
  "evaluation.reliability":
    "Diagramme de fiabilité\u00a0: la part observée de PNEUMONIE dans chaque dixième de probabilité prédite (barres, avec leurs effectifs\u00a0; le point est à la prédiction moyenne de la classe), face à la diagonale d'un calibrage parfait",
  "evaluation.reliability.alt":
    "Diagramme de fiabilité en 10 classes de probabilité prédite\u00a0; le tableau ci-dessous en donne les chiffres",
  "evaluation.reliability.x": "Probabilité prédite",
  "evaluation.reliability.y": "Part observée de PNEUMONIE",
  "evaluation.reliability.table": "Le diagramme de fiabilité sous forme de tableau",
  "evaluation.bin": "Probabilité prédite",
  "evaluation.count": "Images",
  "evaluation.mean_predicted": "Prédiction moyenne",
  "evaluation.observed": "Part observée de PNEUMONIE",
  "evaluation.note":
    "Les étiquettes viennent des dossiers nommés NORMAL ou PNEUMONIA dans le chemin des fichiers, ou d'un CSV d'étiquettes déposé (file,label). Les chiffres suivent les formules de pneumoscan eval\u00a0; sur un petit ensemble, ils sont très incertains.",
  "report.dialog": "Compte rendu",
  "report.title": "Pneumoscan — compte rendu de radiographie thoracique",
  "report.notice":
    "Pour l'enseignement et la recherche uniquement. Ce modèle n'a pas été validé pour le diagnostic et ne doit guider la prise en charge d'aucun patient.",
  "report.include_name": "Inclure le nom du fichier (il peut identifier le patient)",
  "report.print": "Imprimer",
  "report.png": "Télécharger le PNG",
  "report.prediction": "Prédiction",
  "report.threshold": "Seuil de décision",
  "report.model": "Modèle",
  "report.date": "Date du compte rendu",
  "report.file": "Fichier",
  "report.no_image": "L'image n'est pas affichée\u00a0: ce navigateur ne sait pas afficher son format.",
  "report.legend":
    "Carte de chaleur\u00a0: les zones orange poussent vers PNEUMONIE, les bleues vers NORMAL, mesurées à partir du logit du seuil ({threshold_logit})\u00a0; la couleur croît avec la distance, pleine à {span} unités logit (le 95e centile de cette carte).",
  "report.where.browser": "Classé dans le navigateur par Pneumoscan\u00a0; l'image n'a pas quitté l'appareil.",
  "report.where.server": "Classé par Pneumoscan sur le serveur du site.",
};

/** Every catalogue, by language. */
export const CATALOGUES = { en, es, fr };

/** `tag`'s language when Pneumoscan has it ("es-MX" → "es"), else null. */
export function supportedLanguage(tag) {
  const primary = String(tag ?? "").toLowerCase().split(/[-_]/)[0];
  return Object.hasOwn(LANGUAGES, primary) ? primary : null;
}

/** The first of the browser's languages that Pneumoscan has, else English. */
export function browserLanguage(languages = globalThis.navigator?.languages ?? []) {
  for (const tag of languages) {
    const language = supportedLanguage(tag);
    if (language) return language;
  }
  return DEFAULT_LANGUAGE;
}

/** The language the user chose with a switcher, or null (none, or storage is off). */
export function storedLanguage() {
  try {
    return supportedLanguage(globalThis.localStorage?.getItem(STORAGE_KEY));
  } catch {
    return null; // storage blocked (a sandboxed frame, privacy settings)
  }
}

/** Remembers the user's choice for the next visit; quietly does nothing without storage. */
export function rememberLanguage(language) {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, language);
  } catch {
    // The choice still holds for this page.
  }
}

/** The language to start in: the one chosen before, else the browser's. */
export function initialLanguage() {
  return storedLanguage() ?? browserLanguage();
}

/** Fills a <select> with the languages (each named in itself) and selects `current`. */
export function languageOptions(select, current) {
  if (select.options.length !== Object.keys(LANGUAGES).length) {
    select.replaceChildren(
      ...Object.entries(LANGUAGES).map(([code, name]) => {
        const option = document.createElement("option");
        option.value = code;
        option.lang = code;
        option.textContent = name;
        return option;
      }),
    );
  }
  select.value = current;
}

const PLACEHOLDER = /\{(\w+)(?::(\d))?\}/g;

/** `template` with its placeholders filled from `params`; null when one is missing. */
function fill(language, template, params = {}) {
  let missing = false;
  const text = template.replace(PLACEHOLDER, (_, name, digits) => {
    const value = params?.[name];
    if (value == null || value === "") {
      missing = true;
      return "";
    }
    return typeof value === "number" ? formatNumber(language, value, digits) : String(value);
  });
  return missing ? null : text;
}

// Intl.NumberFormat objects by language and options: making one costs about as much as
// laying out a result card, and every card and announcement formats several numbers.
const numberFormats = new Map();

/** `new Intl.NumberFormat(lang, options)`, made once per language and options. */
export function numberFormat(lang, options) {
  const key = `${lang} ${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(lang, options);
    numberFormats.set(key, format);
  }
  return format;
}

/**
 * A number as `language` writes it; with `digits`, exactly that many decimals, rounded
 * half to even like Rust's `{:.N}`. English keeps the core's plain digits (no grouping),
 * so that its texts are the core's messages exactly.
 */
function formatNumber(language, value, digits) {
  const fixed = digits != null;
  return numberFormat(language, {
    minimumFractionDigits: fixed ? Number(digits) : 0,
    maximumFractionDigits: fixed ? Number(digits) : 20,
    roundingMode: "halfEven",
    useGrouping: language === "en" ? false : "auto",
  }).format(value);
}

/**
 * The texts of one language: `t(key, params)` (English when the key is missing),
 * `plural(key, n, params)`, `percent(p)` and `problem(result)`, the text of a refusal or
 * an error from its code and params.
 */
export function translator(language) {
  const lang = supportedLanguage(language) ?? DEFAULT_LANGUAGE;
  const catalogue = CATALOGUES[lang];
  const lookup = (key) => catalogue[key] ?? en[key];
  const pluralRules = new Intl.PluralRules(lang);
  const percentFormat = new Intl.NumberFormat(lang, {
    style: "percent",
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const t = (key, params) => {
    const template = lookup(key);
    if (typeof template !== "string") return key;
    return fill(lang, template, params) ?? template.replace(PLACEHOLDER, "");
  };
  return {
    lang,
    t,
    plural(key, n, params) {
      const forms = lookup(key) ?? {};
      const template = forms[pluralRules.select(n)] ?? forms.other ?? key;
      return fill(lang, template, params) ?? template;
    },
    /** "87.3%" in English, "87,3 %" in Spanish and French; never 0.0% or 100.0% for a value near but not at 0 or 1. */
    percent(p) {
      if (p > 0 && p < 0.001) return `<${percentFormat.format(0.001)}`;
      if (p < 1 && p > 0.999) return `>${percentFormat.format(0.999)}`;
      return percentFormat.format(p);
    },
    /**
     * A refusal's or an error's text from {code, params, message}: the catalogue's when
     * it has the code and every param it uses, else the core's English `message`.
     * `translated` says which.
     */
    problem({ code, params, message } = {}) {
      const template = code ? catalogue[`code.${code}`] : undefined;
      const text = typeof template === "string" ? fill(lang, template, params ?? {}) : null;
      if (text != null) return { text, translated: true };
      return { text: message ?? "", translated: false };
    },
  };
}
