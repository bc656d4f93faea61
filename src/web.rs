//! The browser front end: a thin wasm-bindgen wrapper around [`Classifier`].
//!
//! JavaScript fetches the model card and the ONNX bytes, builds one [`WebClassifier`] and
//! calls [`WebClassifier::classify`] per file (in a Web Worker, see `www/worker.js`).
//! Results are plain JS objects with the same fields as the server's JSON; errors are JS
//! `Error`s carrying the same messages as the CLI, with the stable `code` and the
//! `params` of [`Error::code`] and [`Error::params`] set on them.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::classify::{Classifier, Prediction};
use crate::error::Error;

/// Installs the panic hook, so that a bug shows up in the console as a readable message
/// instead of `unreachable executed`.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// A loaded model, ready to classify files in the browser.
#[wasm_bindgen]
pub struct WebClassifier {
    inner: Classifier,
}

/// One file's result as JavaScript sees it: the fields of the server's 200/422 bodies.
#[derive(Serialize)]
struct WebResult<'a> {
    filename: &'a str,
    /// `ok`, or `refused` when the gate says this is not a chest X-ray.
    status: &'static str,
    /// The label, or `None` when refused.
    prediction: Option<&'static str>,
    /// The refusal in plain words, or `None`.
    message: Option<String>,
    /// The refusal's stable code ([`crate::Refusal::code`]), or `None`.
    code: Option<&'static str>,
    /// The refusal's measurement and limit ([`crate::Refusal::params`]), or `None`.
    params: Option<serde_json::Value>,
    #[serde(flatten)]
    details: &'a Prediction,
}

#[wasm_bindgen]
impl WebClassifier {
    /// Loads the model from its card (JSON text) and ONNX bytes; throws an `Error` if the
    /// card is invalid or does not match the bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(card_json: &str, onnx: &[u8]) -> Result<WebClassifier, JsValue> {
        Ok(WebClassifier {
            inner: Classifier::new(card_json, onnx).map_err(js_error)?,
        })
    }

    /// The model card as a plain object.
    pub fn card(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.card())
    }

    /// Runs the model alone on one normalised input (`224 * 224` values, row-major) and
    /// returns the logit: no decoding, preprocessing, gate or heatmap. For the model-only
    /// benchmark (`bench/`), which compares it with other runtimes on the same input.
    pub fn run_model(&self, input: &[f32]) -> Result<f32, JsValue> {
        Ok(self
            .inner
            .model()
            .run(input.to_vec())
            .map_err(js_error)?
            .logit)
    }

    /// Decodes one file for the viewer ([`crate::view`]): `{width, height, bits, format,
    /// samples}`, `samples` a `Uint16Array` of grey values in `0..2^bits`, row by row, at
    /// full size. Throws the same `Error`s as [`WebClassifier::classify`].
    pub fn view(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let weights = self.inner.card().preprocess.grey_weights;
        let view = crate::view::view(bytes, weights).map_err(js_error)?;
        let object: JsValue = js_sys::Object::new().into();
        set(&object, "width", &view.width.into());
        set(&object, "height", &view.height.into());
        set(&object, "bits", &view.bits.into());
        set(&object, "format", &view.format.into());
        set(
            &object,
            "samples",
            &js_sys::Uint16Array::from(&view.samples[..]).into(),
        );
        Ok(object)
    }

    /// Classifies one file's bytes; throws an `Error` with the CLI's message, its `code`
    /// and `params` when the file cannot be decoded or is not an image.
    pub fn classify(&self, bytes: &[u8], filename: &str) -> Result<JsValue, JsValue> {
        let prediction = self.inner.classify(bytes).map_err(js_error)?;
        result(&prediction, filename)
    }

    /// [`WebClassifier::classify`], with the card's thumbnail ([`crate::thumbnail`]) set on
    /// the result as `thumbnail`: a `Uint8Array` holding a grey PNG at the file's
    /// proportions, its longer side `longest` pixels at most, or `null` when none could
    /// be made.
    pub fn classify_with_thumbnail(
        &self,
        bytes: &[u8],
        filename: &str,
        longest: u32,
    ) -> Result<JsValue, JsValue> {
        let (prediction, thumbnail) = self
            .inner
            .classify_with_thumbnail(bytes, longest)
            .map_err(js_error)?;
        let object = result(&prediction, filename)?;
        let png = match thumbnail {
            None => JsValue::NULL,
            Some(thumbnail) => js_sys::Uint8Array::from(&thumbnail.png()[..]).into(),
        };
        set(&object, "thumbnail", &png);
        Ok(object)
    }
}

/// One file's result as the plain object JavaScript sees ([`WebResult`]).
fn result(prediction: &Prediction, filename: &str) -> Result<JsValue, JsValue> {
    let refused = prediction.refusal.as_ref();
    to_js(&WebResult {
        filename,
        status: if refused.is_some() { "refused" } else { "ok" },
        prediction: match refused {
            None => Some(prediction.label.as_str()),
            Some(_) => None,
        },
        message: refused.map(ToString::to_string),
        code: refused.map(crate::Refusal::code),
        params: refused.map(crate::Refusal::params),
        details: prediction,
    })
}

/// Sets a property on an object this module just made (a plain object or an `Error`,
/// neither frozen nor with setters, so it cannot fail).
fn set(object: &JsValue, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(name), value);
}

/// The JavaScript `Error` for `error`: its message, with `code` and `params` set on it.
fn js_error(error: Error) -> JsValue {
    let js: JsValue = js_sys::Error::new(&error.to_string()).into();
    set(&js, "code", &JsValue::from_str(error.code()));
    if let Ok(params) = to_js(&error.params()) {
        set(&js, "params", &params);
    }
    js
}

/// Plain objects (not `Map`s) with full-precision numbers, as `JSON.parse` would give.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_sys::Error::new(&e.to_string()).into())
}
