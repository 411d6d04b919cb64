// The rich-text editor of the author area: every <textarea data-rich-text> becomes a ProseMirror
// editor (django-prose-editor's bundle, served from this site) with a toolbar for paragraphs,
// headings, bold, italic, lists, links and glossary-term links. The textarea keeps the HTML and
// is what the form posts; the server sanitises it again (lms/lib/html.py). Without JavaScript
// the textarea stays, and plain text with blank lines becomes paragraphs on the server.
const configElement = document.getElementById("rich-text-config");
const config = configElement ? JSON.parse(configElement.textContent) : {};
const labels = config.labels || {};
const buttonLabels = config.buttons || {};
const terms = config.terms || [];
const textareas = document.querySelectorAll("textarea[data-rich-text]");

// Word puts list bullets in conditional comments and spans marked mso-list:Ignore, styles in
// <style> and <o:p> in every paragraph: keep the text and the structure, drop the rest. Lists
// written as Word's list paragraphs become real lists.
export function cleanWordHtml(html) {
  // Style attributes go before parsing (the page's CSP would report each one); Word's list
  // markers are kept as data-mso for the list detection below.
  html = html
    .replace(/<style[\s\S]*?<\/style>/gi, "")
    .replace(/\sstyle\s*=\s*("[^"]*"|'[^']*')/gi, (_m, value) =>
      /mso-list/i.test(value) ? ` data-mso=${value}` : "",
    );
  const doc = new DOMParser().parseFromString(html, "text/html");
  doc.querySelectorAll("style, script, meta, link, xml, title").forEach((el) => el.remove());
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_COMMENT);
  const comments = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  comments.forEach((c) => c.remove());
  doc.querySelectorAll("o\\:p").forEach((el) => el.remove());
  let list = null;
  for (const p of Array.from(doc.body.querySelectorAll("p"))) {
    const style = p.getAttribute("data-mso") || "";
    const isListItem = /mso-list:\s*l\d/i.test(style) || /MsoListParagraph/i.test(p.className);
    if (!isListItem) {
      list = null;
      continue;
    }
    let marker = "";
    p.querySelectorAll("span").forEach((span) => {
      if (/mso-list:\s*Ignore/i.test(span.getAttribute("data-mso") || "")) {
        marker += span.textContent;
        span.remove();
      }
    });
    const ordered = /^\s*\(?[0-9a-zA-Z]{1,3}[.)]/.test(marker);
    const tag = ordered ? "OL" : "UL";
    if (!list || list.tagName !== tag || list.nextElementSibling !== p) {
      list = doc.createElement(tag);
      p.before(list);
    }
    const li = doc.createElement("li");
    li.innerHTML = p.innerHTML.replace(/^(\s|&nbsp;|\u00a0)+/, "");
    list.append(li);
    p.remove();
  }
  doc.body.querySelectorAll("[data-mso], [class], [lang]").forEach((el) => {
    el.removeAttribute("data-mso");
    el.removeAttribute("class");
    el.removeAttribute("lang");
  });
  return doc.body.innerHTML;
}

function labelOf(textarea) {
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  return label ? label.textContent.trim().replace(/:$/, "") : "";
}

// createTextareaEditor of django-prose-editor, without Tiptap's injected <style> element (the
// Content-Security-Policy allows no inline styles; authoring_editor.css carries those rules).
function createEditor(E, textarea, extensions) {
  const element = document.createElement("div");
  element.className = "prose-editor";
  textarea.before(element);
  element.append(textarea);
  return new E.Editor({
    element,
    extensions,
    injectCSS: false,
    content: textarea.value,
    // Named from the first moment the editable area exists (ProseMirror renders these).
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-label": labelOf(textarea),
        ...(textarea.getAttribute("aria-describedby")
          ? { "aria-describedby": textarea.getAttribute("aria-describedby") }
          : {}),
      },
    },
    onUpdate({ editor }) {
      const html = editor.getHTML();
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    },
  });
}

function describe(textarea) {
  const menubar = textarea.closest(".prose-editor").querySelector(".prose-menubar");
  if (menubar) {
    menubar.setAttribute("role", "toolbar");
    menubar.setAttribute("aria-label", `${labels.toolbar}: ${labelOf(textarea)}`);
    // The library's buttons show icon-font ligatures ("format_bold") with English names;
    // ours show a short Dutch word, which is also their accessible name.
    for (const button of menubar.querySelectorAll("button[data-name]")) {
      const [text, tooltip] = buttonLabels[button.dataset.name] || [];
      if (!text) continue;
      button.classList.remove("material-icons", "prose-menubar__button--heading");
      button.removeAttribute("aria-label");
      button.textContent = text;
      button.title = tooltip;
    }
  }
}

// The library and the extensions, loaded once (on the first editor).
let loading = null;

function loadEditor() {
  if (loading) return loading;
  // The library's dialogs read window.gettext when its module loads: give it ours first.
  if (!window.gettext) {
    window.gettext = (text) => (config.dialog || {})[text] || text;
  }
  loading = import("../django_prose_editor/editor.js").then((E) => {
    const PasteFromWord = E.Extension.create({
      name: "pasteFromWord",
      addProseMirrorPlugins() {
        return [new E.Plugin({ props: { transformPastedHTML: cleanWordHtml } })];
      },
    });

    const termDialog = E.updateAttrsDialog(
      { term: { type: "string", title: labels.choose_term, enum: terms.map((t) => t.term) } },
      { title: (buttonLabels.glossary || [])[1], submitText: labels.ok },
    );

    const Glossary = E.Extension.create({
      name: "glossary",
      addMenuItems({ menu, buttons }) {
        if (!terms.length) return;
        menu.defineItem({
          name: "glossary",
          groups: "glossary",
          button: buttons.material("menu_book"),
          enabled: (editor) => !editor.state.selection.empty,
          command(editor) {
            termDialog(editor, { term: terms[0].term }).then((attrs) => {
              const term = attrs && terms.find((t) => t.term === attrs.term);
              if (term) {
                editor.chain().focus().setMark("link", { href: term.url }).run();
              }
            });
          },
        });
      },
    });

    const extensions = () => [
      E.Document,
      E.Paragraph,
      E.Text,
      E.HardBreak,
      E.Heading.configure({ levels: [2, 3] }),
      E.Bold,
      E.Italic,
      E.BulletList,
      E.OrderedList,
      E.ListItem,
      E.Link.configure({ enableTarget: false }),
      E.History,
      E.Dropcursor,
      E.Gapcursor,
      PasteFromWord,
      Glossary,
      E.Menu.configure({
        groups: [
          { group: "blockType -lists" },
          { group: "lists" },
          { group: "marks" },
          { group: "link" },
          { group: "glossary" },
          { group: "history" },
        ],
      }),
    ];
    return { E, extensions };
  });
  return loading;
}

// Turn each of `textareas` that is not an editor yet into one; resolves once all are built.
async function enhance(textareas) {
  const waiting = Array.from(textareas).filter((t) => !t.richTextEditor);
  if (!waiting.length) return;
  const { E, extensions } = await loadEditor();
  const created = [];
  for (const textarea of waiting) {
    if (textarea.richTextEditor) continue;
    const editor = createEditor(E, textarea, extensions());
    textarea.richTextEditor = editor;
    // Tiptap builds the view (and the menu) once the editor emits "create".
    created.push(
      new Promise((resolve) => {
        const done = () => {
          describe(textarea);
          resolve();
        };
        if (editor.isInitialized) done();
        else editor.on("create", done);
      }),
    );
  }
  await Promise.all(created);
}

// Rows added by "Antwoord toevoegen" (static/js/authoring.js) get editors too.
document.addEventListener("formset:row-added", (event) => {
  enhance(event.target.querySelectorAll("textarea[data-rich-text]"));
});

enhance(textareas).then(() => {
  document.documentElement.dataset.richText = "ready";
});
