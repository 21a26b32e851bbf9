#include "brainalign/dsp/mfcc.h"

#include <cmath>
#include <string>

#include "brainalign/base/error.h"

namespace brainalign::dsp {

Matrix dct_ortho_matrix(int n_mfcc, int n_mels) {
  if (n_mfcc < 1 || n_mfcc > n_mels) {
    throw InputError("MFCC: need 1 <= n_mfcc <= n_mels, got n_mfcc " + std::to_string(n_mfcc) +
                     " and n_mels " + std::to_string(n_mels));
  }
  Matrix dct(n_mfcc, n_mels);
  const double scale = std::sqrt(2.0 / n_mels);
  for (int k = 0; k < n_mfcc; ++k) {
    for (int n = 0; n < n_mels; ++n) {
      dct(k, n) = scale * std::cos(M_PI / n_mels * (n + 0.5) * k);
    }
  }
  dct.row(0) /= std::sqrt(2.0);
  return dct;
}

Matrix mfcc(const std::vector<double>& waveform, const MfccParams& params) {
  const Matrix dct = dct_ortho_matrix(params.n_mfcc, params.mel.n_mels);
  const Matrix mel = mel_spectrogram(waveform, params.mel);
  if (params.log_mels) return dct * (mel.array() + 1e-6).log().matrix();
  AmplitudeToDbParams db;
  db.top_db = params.top_db;
  return dct * amplitude_to_db(mel, db);
}

}  // namespace brainalign::dsp
