/** Display and figures: show(), figure builders, image grids. */
export { show, showLatex, showMarkdown, figureBundle, resetShownFigures } from "./show";
export { imageGrid, tensorToImages, mosaicPosition, type ImageGridOptions, type TensorLike } from "./imageGrid";
export {
  lineFigure,
  histogramFigure,
  histogramBins,
  scatterFigure,
  heatmapFigure,
  type LineFigureOptions,
  type LineSeries,
  type HistogramFigureOptions,
  type HistogramBins,
  type ScatterFigureOptions,
  type HeatmapFigureOptions,
} from "./builders";
export { prepareFigure, assertFigureName } from "./prepare";
