// The figures of Pepino et al. 2025 drawn from a study's own results (pepino2025 units, each
// model's last checkpoint), in the paper's layout: Fig 2 (regression and layerwise RSA per
// model, horizontal bars, with the baseline model and the noise ceiling as reference lines),
// Fig 3 (regression against RSA, and dataset against dataset), Fig S2 (layerwise against
// cross-validated RSA, with the identity line), Fig 4 (one panel per component), Fig 5 (layerwise
// RSA along a checkpoint series per dataset and ROI, smoothed as [dynamics] says) and Fig 6
// (alignment against the overall downstream score, with r and p), and Table 1 as the paper
// lays it out. A figure the study lacks the inputs of is left out with a note naming them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "brainalign/report/study_report.h"

namespace brainalign::report {

// The reference lines' colours (page and static figures): the baseline grey, the ceiling black.
inline constexpr const char* kBaselineColour = "#7f7f7f";
inline constexpr const char* kCeilingColour = "#000000";
// The colour of series that are not models or datasets: the identity line, "all models".
inline constexpr const char* kNeutralColour = "#333333";

struct FigureNote {
  std::string id;    // fig2 ... fig6, figs2, table1-paper
  std::string text;  // one line: what the figure needs, or what it leaves out
};

struct PaperFigures {
  std::vector<ReportChart> charts;  // ids fig2, fig3, figs2, fig4, fig5, fig6 (those drawn)
  std::vector<FigureNote> notes;    // figures left out, lines not drawn
  std::string table1_html;          // Table 1 in the paper's layout; empty when left out
};

// `config` is the Vega-Lite config every chart of the page shares.
PaperFigures paper_figures(const study::Study& study, const study::ResultsStore& store,
                           const study::StudyAnalyses& analyses, const nlohmann::json& config);

// The chart kind a paper figure's static drawing uses: "hbars" (fig2, fig4), "xy" (fig3,
// figs2, fig6), "curves" (fig5); empty for other ids.
std::string paper_figure_kind(const std::string& id);

}  // namespace brainalign::report
