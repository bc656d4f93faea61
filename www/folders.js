// Folders: files dropped as folders (DataTransferItem.webkitGetAsEntry, walked
// recursively) or picked (showDirectoryPicker where the browser has it, else
// <input webkitdirectory>), with their path inside the folder.
// Within a folder, hidden files (a name starting with ".") are skipped and the rest are
// sorted by path, as `pneumoscan eval` does; loose files keep the order they came in.
import { filePicker, h } from "./dom.js";

// Dropped files carry their path in the entry, not in the File: kept here.
const paths = new WeakMap();

/** "chest/NORMAL/a.jpeg" for a file from a folder; its bare name otherwise. */
export function relativePath(file) {
  return paths.get(file) || file.webkitRelativePath || file.name || "";
}

const hidden = (path) => path.split("/").some((part) => part.startsWith("."));
const byPath = (a, b) => {
  const [x, y] = [relativePath(a), relativePath(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The visible files of a folder, sorted by path. */
export function folderFiles(files) {
  return [...files].filter((file) => !hidden(relativePath(file))).sort(byPath);
}

// What the browser could not hand over while a folder was walked (a file removed or made
// unreadable since the pick, a subfolder that cannot be listed): an empty File stands in
// its place, so that it shows as an error card in its place and the rest goes on.
const failures = new WeakMap();

/**
 * Why the browser could not give this file of a walked folder, as a problem
 * ({code: "file_unreadable", params: {path, detail}, message}); undefined for a real file.
 */
export function readFailure(file) {
  return failures.get(file);
}

function unreadable(path, error, into) {
  const file = new File([], path.split("/").pop() || path);
  const detail = [error?.name, error?.message].filter(Boolean).join(": ") || String(error);
  paths.set(file, path);
  failures.set(file, { code: "file_unreadable", params: { path, detail }, message: `cannot read ${path}: ${detail}` });
  into.push(file);
}

const entryFile = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));

/** Every file under a directory entry (readEntries answers in chunks of up to 100). */
async function walk(entry, into) {
  const path = entry.fullPath.replace(/^\/+/, "");
  if (entry.isFile) {
    try {
      const file = await entryFile(entry);
      paths.set(file, path);
      into.push(file);
    } catch (e) {
      unreadable(path, e, into);
    }
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    let chunk;
    try {
      chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    } catch (e) {
      return unreadable(path, e, into);
    }
    if (!chunk.length) break;
    for (const child of chunk) {
      if (!child.name.startsWith(".")) await walk(child, into);
    }
  }
}

/**
 * The files of a drop, folders walked: loose files first in drop order, then each folder's
 * files sorted by path. The entries are taken synchronously, while the drop event lasts
 * (the DataTransfer is emptied after it); a browser without entries gives the plain list.
 */
export async function droppedFiles(dataTransfer) {
  const items = [...(dataTransfer?.items ?? [])].filter((item) => item.kind === "file");
  const entries = items.map((item) => item.webkitGetAsEntry?.() ?? null);
  if (!entries.some((entry) => entry?.isDirectory)) return [...(dataTransfer?.files ?? [])];
  const loose = [];
  const inFolders = [];
  for (const [i, entry] of entries.entries()) {
    if (entry?.isDirectory) {
      await walk(entry, inFolders);
    } else if (entry) {
      await walk(entry, loose); // a file that cannot be read gets its error card too
    } else {
      const file = items[i].getAsFile();
      if (file) loose.push(file);
    }
  }
  return [...loose, ...folderFiles(inFolders)];
}

/**
 * Every file under a picked directory handle (File System Access API), its path starting
 * with the folder's own name as `webkitRelativePath` does. Each folder's files are asked
 * for at once: every getFile() is a round trip to the browser process, answered in its
 * own task, so a folder of thousands never holds the page for long.
 */
async function walkHandle(dir, prefix, into) {
  const children = [];
  try {
    for await (const handle of dir.values()) if (!handle.name.startsWith(".")) children.push(handle);
  } catch (e) {
    return unreadable(prefix, e, into);
  }
  await Promise.all(
    children.map(async (handle) => {
      const path = `${prefix}/${handle.name}`;
      if (handle.kind === "directory") return walkHandle(handle, path, into);
      try {
        const file = await handle.getFile();
        paths.set(file, path);
        into.push(file);
      } catch (e) {
        unreadable(path, e, into);
      }
    }),
  );
}

/** The visible files of a picked directory handle, sorted by path. */
export async function handleFiles(dir) {
  const files = [];
  await walkHandle(dir, dir.name, files);
  return folderFiles(files);
}

// `showDirectoryPicker()` hands the folder over as a handle that the page walks a file
// at a time. <input webkitdirectory> instead has the browser build the whole FileList
// before `change`: for 2,000 files one 478 ms task on the page's main thread in Chromium
// (bench/RESULTS.md (g)). Only in a top-level secure page (a cross-origin frame may not
// show it); elsewhere, and in browsers without it, the input's own picker.
const handlePicker = () =>
  typeof window.showDirectoryPicker === "function" && window.isSecureContext && window.top === window.self;

/**
 * "Choose a folder:" and an <input webkitdirectory>, beside the file picker; calls
 * `onFiles(files)` with the folder's files. `relabel(tr)` when the language changes.
 */
export function createFolderPicker(tr, onFiles) {
  const input = h("input", {
    type: "file",
    webkitdirectory: true,
    multiple: true,
    class: "ps-file-input",
    "data-folder-input": true,
  });
  const { element, text, browse } = filePicker(input, "ps-picker ps-folder-picker");
  let handles = handlePicker();
  input.addEventListener("click", (event) => {
    if (!handles) return;
    event.preventDefault(); // the handle's picker instead of the input's
    window.showDirectoryPicker({ id: "pneumoscan-folder", mode: "read" }).then(
      (dir) => handleFiles(dir).then(onFiles),
      (e) => {
        if (e?.name === "AbortError") return; // the user closed the picker
        // Not allowed here after all: the input's picker from now on, and at once while
        // the click still counts as the user's.
        handles = false;
        try {
          input.showPicker();
        } catch {
          // no user activation left: the next click opens the input's picker
        }
      },
    );
  });
  input.addEventListener("change", () => {
    const files = folderFiles(input.files);
    input.value = ""; // so that choosing the same folder again fires `change`
    onFiles(files);
  });
  const render = () => {
    text.textContent = tr.t("folders.picker");
    browse.textContent = tr.t("ui.browse");
  };
  render();
  return {
    element,
    input,
    relabel(next) {
      tr = next;
      render();
    },
  };
}
