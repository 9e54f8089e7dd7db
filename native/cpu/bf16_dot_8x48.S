# The AVX512-BF16 micro-kernel of the CPU backend's blocked GEMM (Backends.Cpu, CpuBf16Dot). Our own source; its
# machine code is embedded in src/Backends.Cpu/Kernels/CpuBf16Dot.Code.cs (regenerate with ./bytes.sh; a test
# assembles this file and checks the embedded bytes against it).
#
# void bf16_dot_8x48(const Args* args)   System V AMD64 (Linux): args in rdi. A leaf: no stack, no calls, no data,
# position independent (only relative jumps), so its bytes run wherever they are copied.
#   args[0]  A panel: 8 dwords per k pair, dword r = A[r, 2p] | A[r, 2p + 1] << 16 (BF16 bits)
#   args[8]  B panel: 48 dwords per k pair, dword j = B[2p, j] | B[2p + 1, j] << 16
#   args[16] k pairs (int64, at least 1)
#   args[24] out: the 8 x 48 F32 tile, row-major (any alignment); overwritten with sum_p A[r, p] * B[p, j]
# Accumulators zmm8..zmm31 (row r in zmm8+3r .. zmm10+3r), B's three vectors in zmm0..zmm2, A's broadcasts in
# zmm3/zmm4. VDPBF16PS adds both products of a pair to the F32 accumulator (DAZ and FTZ, round to nearest even).

        .intel_syntax noprefix
        .text
        .globl  bf16_dot_8x48
        .type   bf16_dot_8x48, @function
bf16_dot_8x48:
        mov     rax, QWORD PTR [rdi]
        mov     rdx, QWORD PTR [rdi + 8]
        mov     rcx, QWORD PTR [rdi + 16]
        mov     rsi, QWORD PTR [rdi + 24]
        vpxord  zmm8, zmm8, zmm8
        vpxord  zmm9, zmm9, zmm9
        vpxord  zmm10, zmm10, zmm10
        vpxord  zmm11, zmm11, zmm11
        vpxord  zmm12, zmm12, zmm12
        vpxord  zmm13, zmm13, zmm13
        vpxord  zmm14, zmm14, zmm14
        vpxord  zmm15, zmm15, zmm15
        vpxord  zmm16, zmm16, zmm16
        vpxord  zmm17, zmm17, zmm17
        vpxord  zmm18, zmm18, zmm18
        vpxord  zmm19, zmm19, zmm19
        vpxord  zmm20, zmm20, zmm20
        vpxord  zmm21, zmm21, zmm21
        vpxord  zmm22, zmm22, zmm22
        vpxord  zmm23, zmm23, zmm23
        vpxord  zmm24, zmm24, zmm24
        vpxord  zmm25, zmm25, zmm25
        vpxord  zmm26, zmm26, zmm26
        vpxord  zmm27, zmm27, zmm27
        vpxord  zmm28, zmm28, zmm28
        vpxord  zmm29, zmm29, zmm29
        vpxord  zmm30, zmm30, zmm30
        vpxord  zmm31, zmm31, zmm31
        .p2align 5
1:
        vmovups zmm0, ZMMWORD PTR [rdx]
        vmovups zmm1, ZMMWORD PTR [rdx + 64]
        vmovups zmm2, ZMMWORD PTR [rdx + 128]
        prefetcht0 BYTE PTR [rdx + 1536]
        prefetcht0 BYTE PTR [rdx + 1600]
        prefetcht0 BYTE PTR [rdx + 1664]
        vpbroadcastd zmm3, DWORD PTR [rax + 0]
        vdpbf16ps zmm8, zmm3, zmm0
        vdpbf16ps zmm9, zmm3, zmm1
        vdpbf16ps zmm10, zmm3, zmm2
        vpbroadcastd zmm4, DWORD PTR [rax + 4]
        vdpbf16ps zmm11, zmm4, zmm0
        vdpbf16ps zmm12, zmm4, zmm1
        vdpbf16ps zmm13, zmm4, zmm2
        vpbroadcastd zmm3, DWORD PTR [rax + 8]
        vdpbf16ps zmm14, zmm3, zmm0
        vdpbf16ps zmm15, zmm3, zmm1
        vdpbf16ps zmm16, zmm3, zmm2
        vpbroadcastd zmm4, DWORD PTR [rax + 12]
        vdpbf16ps zmm17, zmm4, zmm0
        vdpbf16ps zmm18, zmm4, zmm1
        vdpbf16ps zmm19, zmm4, zmm2
        vpbroadcastd zmm3, DWORD PTR [rax + 16]
        vdpbf16ps zmm20, zmm3, zmm0
        vdpbf16ps zmm21, zmm3, zmm1
        vdpbf16ps zmm22, zmm3, zmm2
        vpbroadcastd zmm4, DWORD PTR [rax + 20]
        vdpbf16ps zmm23, zmm4, zmm0
        vdpbf16ps zmm24, zmm4, zmm1
        vdpbf16ps zmm25, zmm4, zmm2
        vpbroadcastd zmm3, DWORD PTR [rax + 24]
        vdpbf16ps zmm26, zmm3, zmm0
        vdpbf16ps zmm27, zmm3, zmm1
        vdpbf16ps zmm28, zmm3, zmm2
        vpbroadcastd zmm4, DWORD PTR [rax + 28]
        vdpbf16ps zmm29, zmm4, zmm0
        vdpbf16ps zmm30, zmm4, zmm1
        vdpbf16ps zmm31, zmm4, zmm2
        add     rax, 32
        add     rdx, 192
        dec     rcx
        jnz     1b
        vmovups ZMMWORD PTR [rsi + 0], zmm8
        vmovups ZMMWORD PTR [rsi + 64], zmm9
        vmovups ZMMWORD PTR [rsi + 128], zmm10
        vmovups ZMMWORD PTR [rsi + 192], zmm11
        vmovups ZMMWORD PTR [rsi + 256], zmm12
        vmovups ZMMWORD PTR [rsi + 320], zmm13
        vmovups ZMMWORD PTR [rsi + 384], zmm14
        vmovups ZMMWORD PTR [rsi + 448], zmm15
        vmovups ZMMWORD PTR [rsi + 512], zmm16
        vmovups ZMMWORD PTR [rsi + 576], zmm17
        vmovups ZMMWORD PTR [rsi + 640], zmm18
        vmovups ZMMWORD PTR [rsi + 704], zmm19
        vmovups ZMMWORD PTR [rsi + 768], zmm20
        vmovups ZMMWORD PTR [rsi + 832], zmm21
        vmovups ZMMWORD PTR [rsi + 896], zmm22
        vmovups ZMMWORD PTR [rsi + 960], zmm23
        vmovups ZMMWORD PTR [rsi + 1024], zmm24
        vmovups ZMMWORD PTR [rsi + 1088], zmm25
        vmovups ZMMWORD PTR [rsi + 1152], zmm26
        vmovups ZMMWORD PTR [rsi + 1216], zmm27
        vmovups ZMMWORD PTR [rsi + 1280], zmm28
        vmovups ZMMWORD PTR [rsi + 1344], zmm29
        vmovups ZMMWORD PTR [rsi + 1408], zmm30
        vmovups ZMMWORD PTR [rsi + 1472], zmm31
        vzeroupper
        ret
        .size   bf16_dot_8x48, . - bf16_dot_8x48
        .section .note.GNU-stack, "", @progbits
