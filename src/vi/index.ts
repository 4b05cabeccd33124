/** Variational inference (lectures 000, 002, 003): checked derivations, the ELBO, mean field, CAVI. */
export {
  Derivation,
  derivation,
  type DerivationSpec,
  type DerivationStep,
  type DerivationReport,
  type StepResult,
  type StepFailure,
  type Relation,
  type ParamSpec,
  symbolicDerivative,
} from "./derivation";
export { showDerivation } from "./display";
export {
  klFitFigure,
  timeExactEvidence,
  enumerationFigure,
  isingMagnetizationCurves,
  isingMagnetizationFigure,
  caviElboFigure,
  caviComponentsFigure,
  elboGapPath,
  elboGapFigure,
  emElboFigure,
  ldaTopicsFigure,
  type EnumerationTiming,
  type IsingCurves,
  type GapPathRow,
} from "./figures";
export { DERIVATION_HELPERS, logNormalDensity, klNormalClosedForm } from "./mathScope";
export { lectureDerivations, type LectureDerivationName } from "./derivations";
export { expectNormal, gaussHermite } from "./quadrature";
export {
  mixtureLatentModel,
  discreteLogEvidence,
  discretePosterior,
  discreteElbo,
  GaussianLatentModel,
  elboMonteCarlo,
  type ElboPieces,
  type DiscreteLatentModel,
  type VariationalQ,
} from "./elbo";
export {
  meanFieldIsing,
  meanFieldIsingLattice,
  meanFieldIsingElbo,
  meanFieldCriticalBeta,
  onsagerMagnetization,
  ISING_BETA_C_EXACT_2D,
  type MeanFieldIsingOptions,
  type MeanFieldIsingResult,
  type MeanFieldLatticeOptions,
  type MeanFieldLatticeResult,
} from "./meanFieldIsing";
export {
  caviGmm,
  caviGmmElbo,
  gmmConjugatePosterior,
  gmmConjugateLogEvidence,
  gmmLogEvidenceExact,
  sampleGmmData,
  type CaviGmmOptions,
  type CaviGmmResult,
  type CaviGmmState,
} from "./caviGmm";
export { forwardKL, reverseKL, fitGaussianKL, momentMatch, mixtureLogPdf, type GaussianMixture1D, type GaussianKLFit } from "./klFit";
export {
  emElboTrace,
  mixtureElbo,
  mixtureEStep,
  mixtureMStep,
  mixtureLogLikelihood,
  type Mixture1DParams,
  type EmElboRow,
} from "./emView";
export { ldaMeanField, ldaElbo, ldaSingleTopicLogEvidence, tinyTopicCorpus, topicRecovery, type LdaOptions, type LdaResult } from "./lda";
