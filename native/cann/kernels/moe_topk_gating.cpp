/*
 * moe_topk_gating: the fused DeepSeek-V3 MoE router (op TopKGating) as an AscendC kernel for Ascend NPUs.
 *
 * Per token t (one row of logits F32 [T, E]):
 *   s   = sigmoid(logits[t])            (or softmax over the row when tiling.sigmoid == 0)
 *   key = s + bias                      (bias F32 [E], optional; it only steers the selection; NaN keys count as -inf)
 *   with G groups of E/G experts: group score = sum of the two largest keys of the group when a bias is given,
 *   else the largest key; keep the topKGroups best groups (ties to the lower group index);
 *   ids     = the topK largest keys among experts of kept groups, descending, ties to the lower expert id;
 *   weights = s[ids], divided by their sum (always for sigmoid, on request for softmax), times routedScale.
 * Outputs: weights F32 [T, k], ids I32 [T, k]. This matches the CPU and OpenCL kernels of the same op
 * (src/Backends.Cpu/Kernels/CpuMoe.cs, native/opencl/moe.cl) including the NaN and tie rules.
 *
 * Work split: tokens are cut into GetBlockNum() contiguous ranges, one per block (AI-vector core); a block handles
 * its tokens one at a time: copy the row in (MTE2), scores on the vector unit, selection on the scalar unit
 * (E <= 256 for DeepSeek, so a scalar scan per pick is cheap), copy k weights and k ids out (MTE3).
 *
 * NOT BUILT OR RUN in this repository's CI (no CANN toolkit there): written against the public AscendC API of
 * CANN 8.x and unverified on hardware. See README.md.
 */
#include "kernel_operator.h"
#include "moe_topk_gating_tiling.h"

using namespace AscendC;

namespace {

constexpr int32_t BUFFER_NUM = 2;       // double-buffered logits rows
constexpr int32_t FLOATS_PER_BLOCK = 8; // 32-byte unified-buffer granularity for 4-byte elements
constexpr int32_t REDUCE_SLACK = 64;    // extra floats of reduce work space (one 256-byte repeat)

__aicore__ inline int32_t AlignUp(int32_t n, int32_t a) { return (n + a - 1) / a * a; }

__aicore__ inline float NegInf()
{
    union { uint32_t u; float f; } c;
    c.u = 0xff800000u;
    return c.f;
}

// Bit test, so that no fast-math setting can fold it away.
__aicore__ inline bool IsNan(float v)
{
    union { float f; uint32_t u; } c;
    c.f = v;
    return (c.u & 0x7fffffffu) > 0x7f800000u;
}

class MoeTopKGating {
public:
    __aicore__ inline void Init(GM_ADDR logits, GM_ADDR bias, GM_ADDR weights, GM_ADDR ids, GM_ADDR tiling)
    {
        GlobalTensor<int32_t> ti;
        GlobalTensor<float> tf;
        ti.SetGlobalBuffer((__gm__ int32_t*)tiling, MOE_TILING_WORDS);
        tf.SetGlobalBuffer((__gm__ float*)tiling, MOE_TILING_WORDS);
        tokens_ = ti.GetValue(MOE_TILING_TOKENS);
        experts_ = ti.GetValue(MOE_TILING_EXPERTS);
        topK_ = ti.GetValue(MOE_TILING_TOP_K);
        groups_ = ti.GetValue(MOE_TILING_GROUPS);
        topKGroups_ = ti.GetValue(MOE_TILING_TOP_K_GROUPS);
        hasBias_ = ti.GetValue(MOE_TILING_HAS_BIAS) != 0;
        sigmoid_ = ti.GetValue(MOE_TILING_SIGMOID) != 0;
        renorm_ = sigmoid_ || ti.GetValue(MOE_TILING_RENORMALIZE) != 0;
        scale_ = tf.GetValue(MOE_TILING_ROUTED_SCALE);
        if (groups_ < 1) groups_ = 1;
        groupSize_ = experts_ / groups_;

        // Contiguous token range of this block.
        int32_t blocks = (int32_t)GetBlockNum(), idx = (int32_t)GetBlockIdx();
        int32_t per = (tokens_ + blocks - 1) / blocks;
        t0_ = idx * per;
        t1_ = t0_ + per < tokens_ ? t0_ + per : tokens_;
        if (t0_ >= t1_ || experts_ < 1 || topK_ < 1) {
            t1_ = t0_; // nothing to do; allocate nothing
            return;
        }

        logitsGm_.SetGlobalBuffer((__gm__ float*)logits, (uint64_t)tokens_ * experts_);
        weightsGm_.SetGlobalBuffer((__gm__ float*)weights, (uint64_t)tokens_ * topK_);
        idsGm_.SetGlobalBuffer((__gm__ int32_t*)ids, (uint64_t)tokens_ * topK_);

        const uint32_t eBytes = AlignUp(experts_, FLOATS_PER_BLOCK) * sizeof(float);
        const uint32_t kBytes = AlignUp(topK_, FLOATS_PER_BLOCK) * sizeof(float);
        pipe_.InitBuffer(inQueue_, BUFFER_NUM, eBytes);
        pipe_.InitBuffer(weightQueue_, 1, kBytes);
        pipe_.InitBuffer(idQueue_, 1, kBytes);
        pipe_.InitBuffer(scoreBuf_, eBytes);
        pipe_.InitBuffer(keyBuf_, eBytes);
        pipe_.InitBuffer(tmpBuf_, eBytes);
        pipe_.InitBuffer(flagBuf_, eBytes);
        pipe_.InitBuffer(groupBuf_, AlignUp(groups_, FLOATS_PER_BLOCK) * sizeof(float));
        pipe_.InitBuffer(reduceBuf_, FLOATS_PER_BLOCK * sizeof(float));
        pipe_.InitBuffer(workBuf_, eBytes + REDUCE_SLACK * sizeof(float));
        if (sigmoid_) {
            pipe_.InitBuffer(onesBuf_, eBytes);
            Duplicate(onesBuf_.Get<float>(), 1.0f, experts_);
            PipeBarrier<PIPE_V>();
        }
        if (hasBias_) {
            biasGm_.SetGlobalBuffer((__gm__ float*)bias, (uint64_t)experts_);
            pipe_.InitBuffer(biasBuf_, eBytes);
            LocalTensor<float> b = biasBuf_.Get<float>();
            DataCopyExtParams copy{1, (uint32_t)(experts_ * sizeof(float)), 0, 0, 0};
            DataCopyPadExtParams<float> pad{false, 0, 0, 0.0f};
            DataCopyPad(b, biasGm_, copy, pad);
            Sync<HardEvent::MTE2_V>(); // the vector Add in Compute reads it
        }
    }

    __aicore__ inline void Process()
    {
        for (int32_t t = t0_; t < t1_; t++) {
            CopyIn(t);
            Compute();
            CopyOut(t);
        }
    }

private:
    template <HardEvent EVT>
    __aicore__ inline void Sync()
    {
        TEventID id = pipe_.FetchEventID(EVT);
        SetFlag<EVT>(id);
        WaitFlag<EVT>(id);
    }

    __aicore__ inline void CopyIn(int32_t t)
    {
        LocalTensor<float> x = inQueue_.AllocTensor<float>();
        DataCopyExtParams copy{1, (uint32_t)(experts_ * sizeof(float)), 0, 0, 0};
        DataCopyPadExtParams<float> pad{false, 0, 0, 0.0f};
        DataCopyPad(x, logitsGm_[(uint64_t)t * experts_], copy, pad);
        inQueue_.EnQue(x);
    }

    // Scores on the vector unit: s (scoreBuf_) and, with a bias, key = s + bias (keyBuf_).
    __aicore__ inline void Scores()
    {
        const int32_t n = experts_;
        Sync<HardEvent::S_V>(); // the previous token's scalar writes to the flags precede the Duplicate below
        LocalTensor<float> x = inQueue_.DeQue<float>();
        LocalTensor<float> s = scoreBuf_.Get<float>();
        LocalTensor<float> tmp = tmpBuf_.Get<float>();
        LocalTensor<float> key = keyBuf_.Get<float>();
        if (sigmoid_) {
            // s = 1 / (1 + exp(-x)); exp overflows to +inf for very negative x, giving s = 0 as it should.
            Muls(tmp, x, -1.0f, n);
            PipeBarrier<PIPE_V>();
            Exp(tmp, tmp, n);
            PipeBarrier<PIPE_V>();
            Adds(tmp, tmp, 1.0f, n);
            PipeBarrier<PIPE_V>();
            Div(s, onesBuf_.Get<float>(), tmp, n);
        } else {
            // s = exp(x - max) / sum. A NaN logit makes the sum, and so every score, NaN (as the reference does),
            // whichever way ReduceMax treats NaN.
            LocalTensor<float> red = reduceBuf_.Get<float>();
            LocalTensor<float> work = workBuf_.Get<float>();
            ReduceMax(red, x, work, n, false);
            Sync<HardEvent::V_S>();
            float m = red.GetValue(0);
            Adds(tmp, x, -m, n);
            PipeBarrier<PIPE_V>();
            Exp(tmp, tmp, n);
            PipeBarrier<PIPE_V>();
            ReduceSum(red, tmp, work, n);
            Sync<HardEvent::V_S>();
            float sum = red.GetValue(0);
            Duplicate(key, sum, n);
            PipeBarrier<PIPE_V>();
            Div(s, tmp, key, n);
        }
        inQueue_.FreeTensor(x);
        if (hasBias_) {
            PipeBarrier<PIPE_V>();
            Add(key, s, biasBuf_.Get<float>(), n);
        }
        // Eligibility flags: every expert when there are no groups, none until their group is kept otherwise.
        Duplicate(flagBuf_.Get<int32_t>(), (int32_t)(groups_ > 1 ? 0 : 1), n);
        Sync<HardEvent::V_S>(); // the scalar selection below reads s, key and the flags
    }

    __aicore__ inline void Compute()
    {
        Scores();
        LocalTensor<float> s = scoreBuf_.Get<float>();
        LocalTensor<float> key = hasBias_ ? keyBuf_.Get<float>() : s;
        LocalTensor<int32_t> flags = flagBuf_.Get<int32_t>();
        const float negInf = NegInf();

        if (groups_ > 1) {
            // Group scores, then keep the best topKGroups groups; a kept group is marked by flagging its experts
            // (flags[g * size] doubles as "taken"), ties go to the lower group index (strict > scanning upwards).
            LocalTensor<float> gs = groupBuf_.Get<float>();
            for (int32_t g = 0; g < groups_; g++) {
                float best = negInf, second = negInf;
                for (int32_t e = g * groupSize_; e < (g + 1) * groupSize_; e++) {
                    float v = key.GetValue(e);
                    if (IsNan(v)) v = negInf;
                    if (v > best) {
                        second = best;
                        best = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                float score = hasBias_ ? best + second : best;
                gs.SetValue(g, IsNan(score) ? negInf : score);
            }
            for (int32_t round = 0; round < topKGroups_; round++) {
                int32_t bg = -1;
                float bv = negInf;
                for (int32_t g = 0; g < groups_; g++) {
                    if (flags.GetValue(g * groupSize_) != 0) continue;
                    float v = gs.GetValue(g);
                    if (bg < 0 || v > bv) {
                        bg = g;
                        bv = v;
                    }
                }
                if (bg < 0) break;
                for (int32_t e = bg * groupSize_; e < (bg + 1) * groupSize_; e++) flags.SetValue(e, 1);
            }
        }

        // Top-k over the eligible experts, descending, ties to the lower id; NaN keys count as -inf.
        LocalTensor<float> w = weightQueue_.AllocTensor<float>();
        LocalTensor<int32_t> id = idQueue_.AllocTensor<int32_t>();
        float wsum = 0.0f;
        for (int32_t j = 0; j < topK_; j++) {
            int32_t best = -1;
            float bv = negInf;
            for (int32_t e = 0; e < experts_; e++) {
                if (flags.GetValue(e) == 0) continue;
                float v = key.GetValue(e);
                if (IsNan(v)) v = negInf;
                if (best < 0 || v > bv) {
                    best = e;
                    bv = v;
                }
            }
            // best < 0 only when the host broke topK <= topKGroups * E / G; emit id -1 and weight 0 then.
            float sv = 0.0f;
            if (best >= 0) {
                flags.SetValue(best, 0);
                sv = s.GetValue(best);
            }
            id.SetValue(j, best);
            w.SetValue(j, sv);
            wsum += sv;
        }
        for (int32_t j = 0; j < topK_; j++) {
            float v = w.GetValue(j);
            w.SetValue(j, (renorm_ ? v / wsum : v) * scale_);
        }
        Sync<HardEvent::S_MTE3>(); // the copies out read what the scalar unit just wrote
        weightQueue_.EnQue(w);
        idQueue_.EnQue(id);
    }

    __aicore__ inline void CopyOut(int32_t t)
    {
        LocalTensor<float> w = weightQueue_.DeQue<float>();
        LocalTensor<int32_t> id = idQueue_.DeQue<int32_t>();
        DataCopyExtParams copy{1, (uint32_t)(topK_ * sizeof(float)), 0, 0, 0};
        DataCopyPad(weightsGm_[(uint64_t)t * topK_], w, copy);
        DataCopyPad(idsGm_[(uint64_t)t * topK_], id, copy);
        // The next token's scalar writes reuse these buffers: wait for the copies (the queues only order V/MTE3).
        Sync<HardEvent::MTE3_S>();
        weightQueue_.FreeTensor(w);
        idQueue_.FreeTensor(id);
    }

    TPipe pipe_;
    TQue<TPosition::VECIN, BUFFER_NUM> inQueue_;
    TQue<TPosition::VECOUT, 1> weightQueue_;
    TQue<TPosition::VECOUT, 1> idQueue_;
    TBuf<TPosition::VECIN> biasBuf_;
    TBuf<TPosition::VECCALC> scoreBuf_, keyBuf_, tmpBuf_, onesBuf_, flagBuf_, groupBuf_, reduceBuf_, workBuf_;
    GlobalTensor<float> logitsGm_, biasGm_, weightsGm_;
    GlobalTensor<int32_t> idsGm_;
    int32_t tokens_ = 0, experts_ = 0, topK_ = 0, groups_ = 1, topKGroups_ = 1, groupSize_ = 0;
    int32_t t0_ = 0, t1_ = 0;
    bool hasBias_ = false, sigmoid_ = true, renorm_ = true;
    float scale_ = 1.0f;
};

} // namespace

extern "C" __global__ __aicore__ void moe_topk_gating(GM_ADDR logits, GM_ADDR bias, GM_ADDR weights, GM_ADDR ids,
                                                      GM_ADDR tiling)
{
#if defined(MOE_KERNEL_AIV_ONLY)
    // Atlas A2/A3 (Ascend910B*, Ascend910_93*; set by CMakeLists.txt): start vector cores only, so numBlocks
    // counts AIV cores.
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
#endif
    MoeTopKGating op;
    op.Init(logits, bias, weights, ids, tiling);
    op.Process();
}
