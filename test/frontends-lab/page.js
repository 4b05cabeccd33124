// A page that renders notebook outputs the way JupyterLab 3.6 does: each code cell's outputs
// in an OutputArea (@jupyterlab/outputarea) with the default renderers of
// @jupyterlab/rendermime (HTML sanitized by JupyterLab's own sanitizer when untrusted; scripts
// of trusted HTML evaluated as JupyterLab evaluates them). Bundled for the browser by
// test/kernel/jupyterlab.test.ts with esbuild; nothing is loaded from outside the page.
//
// As when JupyterLab opens a notebook, the output areas are built (and their outputs rendered)
// first and attached to the document afterwards.
import { OutputArea, OutputAreaModel } from "@jupyterlab/outputarea";
import { RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
import { Panel, Widget } from "@lumino/widgets";

window.latentlabLab = {
  /**
   * Render `cells` (an array with each code cell's nbformat outputs) in one panel, trusted or
   * not, and attach it to the page. Returns the number of output areas.
   */
  render(cells, trusted) {
    if (!Array.isArray(cells)) throw new Error("latentlabLab.render: expected an array of output lists, one per code cell");
    const rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories });
    const panel = new Panel();
    panel.addClass("latentlab-lab-notebook");
    for (const outputs of cells) {
      const model = new OutputAreaModel({ values: outputs, trusted: trusted === true });
      panel.addWidget(new OutputArea({ model, rendermime }));
    }
    Widget.attach(panel, document.body);
    return panel.widgets.length;
  },
};
