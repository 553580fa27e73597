// cuda::Attention: Q, K, V = W·X for the whole batch (one GEMM each), per-item scores
// S = Kᵀ Q / √d and O = V S (strided batched GEMMs), a column softmax kernel (kernels.cu), Y = Wo O
// + X.

#include <cmath>

#include "device_context.hpp"
#include "epara/cuda/attention.hpp"
#include "kernels.hpp"

namespace epara::cuda {
struct Attention::Impl {
  Impl(const exec::AttentionWeights& w, std::size_t batch_capacity, StreamOptions options)
      : context(options),
        max_batch(batch_capacity),
        tokens(w.tokens),
        dim(w.dim),
        wq(w.wq, context.stream()),
        wk(w.wk, context.stream()),
        wv(w.wv, context.stream()),
        wo(w.wo, context.stream()),
        x(batch_capacity * w.input_size()),
        q(x.size()),
        k(x.size()),
        v(x.size()),
        o(x.size()),
        y(x.size()),
        s(batch_capacity * w.tokens * w.tokens) {
    context.synchronize();
  }

  // C = alpha · A · B + beta · C, every matrix column-major and packed.
  void gemm(cublasOperation_t ta, std::size_t m, std::size_t n, std::size_t inner, float alpha,
            const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
            std::size_t ldc) const {
    EPARA_CUBLAS_TRY(cublasSgemm(context.blas(), ta, CUBLAS_OP_N, static_cast<int>(m),
                                 static_cast<int>(n), static_cast<int>(inner), &alpha, a,
                                 static_cast<int>(lda), b, static_cast<int>(ldb), &beta, c,
                                 static_cast<int>(ldc)));
  }
  void gemm_per_item(cublasOperation_t ta, std::size_t m, std::size_t n, std::size_t inner,
                     float alpha, const float* a, std::size_t lda, long long stride_a,
                     const float* b, std::size_t ldb, long long stride_b, float* c, std::size_t ldc,
                     long long stride_c, std::size_t items) const {
    const float zero = 0.0f;
    EPARA_CUBLAS_TRY(cublasSgemmStridedBatched(
        context.blas(), ta, CUBLAS_OP_N, static_cast<int>(m), static_cast<int>(n),
        static_cast<int>(inner), &alpha, a, static_cast<int>(lda), stride_a, b,
        static_cast<int>(ldb), stride_b, &zero, c, static_cast<int>(ldc), stride_c,
        static_cast<int>(items)));
  }

  void forward(std::span<const float> in, std::span<float> out, std::size_t n) {
    const std::size_t size = tokens * dim;
    detail::expect_forward("attention", n, max_batch, in.size(), size, out.size(), size);
    context.activate();
    x.upload(in, context.stream());
    const std::size_t cols = n * tokens;  // every token of every item
    gemm(CUBLAS_OP_N, dim, cols, dim, 1.0f, wq.get(), dim, x.get(), dim, 0.0f, q.get(), dim);
    gemm(CUBLAS_OP_N, dim, cols, dim, 1.0f, wk.get(), dim, x.get(), dim, 0.0f, k.get(), dim);
    gemm(CUBLAS_OP_N, dim, cols, dim, 1.0f, wv.get(), dim, x.get(), dim, 0.0f, v.get(), dim);
    const auto item = static_cast<long long>(size),
               scores = static_cast<long long>(tokens) * static_cast<long long>(tokens);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dim));
    gemm_per_item(CUBLAS_OP_T, tokens, tokens, dim, scale, k.get(), dim, item, q.get(), dim, item,
                  s.get(), tokens, scores, n);
    EPARA_CUDA_TRY(detail::launch_column_softmax(s.get(), tokens, cols, context.stream()));
    gemm_per_item(CUBLAS_OP_N, dim, tokens, tokens, 1.0f, v.get(), dim, item, s.get(), tokens,
                  scores, o.get(), dim, item, n);
    EPARA_CUDA_TRY(cudaMemcpyAsync(y.get(), x.get(), n * size * sizeof(float),
                                   cudaMemcpyDeviceToDevice, context.stream()));
    gemm(CUBLAS_OP_N, dim, cols, dim, 1.0f, wo.get(), dim, o.get(), dim, 1.0f, y.get(), dim);
    y.download(out, context.stream());
    context.synchronize();
  }

  Bytes memory() const {
    return wq.bytes() + wk.bytes() + wv.bytes() + wo.bytes() + x.bytes() + q.bytes() + k.bytes() +
           v.bytes() + o.bytes() + y.bytes() + s.bytes();
  }

  detail::DeviceContext context;
  std::size_t max_batch, tokens, dim;
  detail::DeviceArray wq, wk, wv, wo, x, q, k, v, o, y, s;
};

Attention::Attention(const exec::AttentionWeights& weights, std::size_t max_batch,
                     StreamOptions options)
    : inputs_{weights.tensor_spec("input")}, outputs_{weights.tensor_spec("output")} {
  EPARA_EXPECTS(max_batch >= 1, "attention: max_batch must be >= 1");
  EPARA_EXPECTS(
      weights.wq.size() == weights.dim * weights.dim && weights.wk.size() == weights.wq.size() &&
          weights.wv.size() == weights.wq.size() && weights.wo.size() == weights.wq.size(),
      "attention: every weight matrix must be dim x dim");
  impl_ = std::make_unique<Impl>(weights, max_batch, options);
}
Attention::~Attention() = default;
Attention::Attention(Attention&&) noexcept = default;
Attention& Attention::operator=(Attention&&) noexcept = default;

std::size_t Attention::input_size() const { return impl_->tokens * impl_->dim; }
std::size_t Attention::output_size() const { return impl_->tokens * impl_->dim; }
std::size_t Attention::max_batch() const { return impl_->max_batch; }
Bytes Attention::memory() const { return impl_->memory(); }
void Attention::forward(std::span<const float> in, std::span<float> out, std::size_t n) {
  impl_->forward(in, out, n);
}

}  // namespace epara::cuda
