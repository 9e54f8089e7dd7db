using System.Runtime.InteropServices;

namespace Backends.Cann.Native;

/// <summary>
/// aclnn descriptors (<c>libnnopbase.so</c>, <c>aclnn/acl_meta.h</c>) and the first phase of each operator used
/// (<c>libopapi.so</c>, <c>aclnnop/aclnn_*.h</c>), written from the C prototypes; the C type is beside each parameter.
/// <c>aclnnStatus</c> is <c>int32_t</c>; strides and offsets of <c>aclCreateTensor</c> are in elements. The second phase,
/// <c>aclnnX(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor, aclrtStream stream)</c>, has the same
/// signature for every operator and is looked up by name (<see cref="AclnnCall.Run"/>).
/// </summary>
internal static unsafe partial class Aclnn
{
    /// <summary>The library name the resolver maps to <c>libnnopbase.so</c>.</summary>
    public const string Base = "nnopbase";

    /// <summary>The library name the resolver maps to <c>libopapi.so</c>.</summary>
    public const string Ops = "opapi";

    // aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, aclDataType dataType, const int64_t *stride,
    //     int64_t offset, aclFormat format, const int64_t *storageDims, uint64_t storageDimsNum, void *tensorData);
    [LibraryImport(Base)]
    public static partial nint aclCreateTensor(
        long* viewDims /* const int64_t* */, ulong viewDimsNum /* uint64_t */, int dataType /* aclDataType */, long* stride /* const int64_t* */,
        long offset /* int64_t */, int format /* aclFormat */, long* storageDims /* const int64_t* */, ulong storageDimsNum /* uint64_t */,
        nint tensorData /* void* */);

    // aclnnStatus aclDestroyTensor(const aclTensor *tensor);
    [LibraryImport(Base)]
    public static partial int aclDestroyTensor(nint tensor /* const aclTensor* */);

    // aclScalar *aclCreateScalar(void *value, aclDataType dataType);
    [LibraryImport(Base)]
    public static partial nint aclCreateScalar(void* value /* void* */, int dataType /* aclDataType */);

    // aclnnStatus aclDestroyScalar(const aclScalar *scalar);
    [LibraryImport(Base)]
    public static partial int aclDestroyScalar(nint scalar /* const aclScalar* */);

    // aclIntArray *aclCreateIntArray(const int64_t *value, uint64_t size);
    [LibraryImport(Base)]
    public static partial nint aclCreateIntArray(long* value /* const int64_t* */, ulong size /* uint64_t */);

    // aclnnStatus aclDestroyIntArray(const aclIntArray *array);
    [LibraryImport(Base)]
    public static partial int aclDestroyIntArray(nint array /* const aclIntArray* */);

    // aclTensorList *aclCreateTensorList(const aclTensor *const *value, uint64_t size);  (the list owns its tensors)
    [LibraryImport(Base)]
    public static partial nint aclCreateTensorList(nint* value /* const aclTensor* const* */, ulong size /* uint64_t */);

    // aclnnStatus aclDestroyTensorList(const aclTensorList *array);  (destroys the tensors too)
    [LibraryImport(Base)]
    public static partial int aclDestroyTensorList(nint list /* const aclTensorList* */);

    // aclnnStatus aclDestroyAclOpExecutor(aclOpExecutor *executor);  (an executor whose second phase never ran)
    [LibraryImport(Base)]
    public static partial int aclDestroyAclOpExecutor(nint executor /* aclOpExecutor* */);

    // aclnnStatus aclnnMatmulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out, int8_t cubeMathType,
    //     uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnMatmulGetWorkspaceSize(nint self, nint mat2, nint output, sbyte cubeMathType /* int8_t */, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnBatchMatMulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out, int8_t cubeMathType,
    //     uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnBatchMatMulGetWorkspaceSize(nint self, nint mat2, nint output, sbyte cubeMathType /* int8_t */, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnSoftmaxGetWorkspaceSize(const aclTensor *self, int64_t dim, aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnSoftmaxGetWorkspaceSize(nint self, long dim /* int64_t */, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnRmsNormGetWorkspaceSize(const aclTensor *x, const aclTensor *gamma, double epsilon, const aclTensor *yOut,
    //     const aclTensor *rstdOut, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnRmsNormGetWorkspaceSize(nint x, nint gamma, double epsilon /* double */, nint yOut, nint rstdOut, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnSiluGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnSiluGetWorkspaceSize(nint self, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnSwiGluGetWorkspaceSize(const aclTensor *x, int64_t dim, const aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnSwiGluGetWorkspaceSize(nint x, long dim /* int64_t */, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnAddGetWorkspaceSize(const aclTensor *self, const aclTensor *other, const aclScalar *alpha, aclTensor *out,
    //     uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnAddGetWorkspaceSize(nint self, nint other, nint alpha /* const aclScalar* */, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnMulGetWorkspaceSize(const aclTensor *self, const aclTensor *other, aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnMulGetWorkspaceSize(nint self, nint other, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnCastGetWorkspaceSize(const aclTensor *self, const aclDataType dtype, aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnCastGetWorkspaceSize(nint self, int dtype /* aclDataType */, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnRotaryPositionEmbeddingGetWorkspaceSize(const aclTensor *x, const aclTensor *cos, const aclTensor *sin, int64_t mode,
    //     aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnRotaryPositionEmbeddingGetWorkspaceSize(nint x, nint cos, nint sin, long mode /* int64_t */, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnMoeGatingTopKGetWorkspaceSize(const aclTensor *x, const aclTensor *biasOptional, int64_t k, int64_t kGroup,
    //     int64_t groupCount, int64_t groupSelectMode, int64_t renorm, int64_t normType, bool outFlag, double routedScalingFactor,
    //     double eps, const aclTensor *yOut, const aclTensor *expertIdxOut, const aclTensor *outOut, uint64_t *workspaceSize,
    //     aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnMoeGatingTopKGetWorkspaceSize(
        nint x, nint biasOptional, long k, long kGroup, long groupCount, long groupSelectMode, long renorm, long normType,
        [MarshalAs(UnmanagedType.U1)] bool outFlag /* bool */, double routedScalingFactor, double eps, nint yOut, nint expertIdxOut, nint outOut,
        ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnMoeInitRoutingV2GetWorkspaceSize(const aclTensor *x, const aclTensor *expertIdx, int64_t activeNum,
    //     int64_t expertCapacity, int64_t expertNum, int64_t dropPadMode, int64_t expertTokensCountOrCumsumFlag,
    //     bool expertTokensBeforeCapacityFlag, const aclTensor *expandedXOut, const aclTensor *expandedRowIdxOut,
    //     const aclTensor *expertTokensCountOrCumsumOut, const aclTensor *expertTokensBeforeCapacityOut, uint64_t *workspaceSize,
    //     aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnMoeInitRoutingV2GetWorkspaceSize(
        nint x, nint expertIdx, long activeNum, long expertCapacity, long expertNum, long dropPadMode, long expertTokensCountOrCumsumFlag,
        [MarshalAs(UnmanagedType.U1)] bool expertTokensBeforeCapacityFlag /* bool */, nint expandedXOut, nint expandedRowIdxOut,
        nint expertTokensCountOrCumsumOut, nint expertTokensBeforeCapacityOut, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnMoeFinalizeRoutingV2GetWorkspaceSize(const aclTensor *expandedX, const aclTensor *expandedRowIdx,
    //     const aclTensor *x1Optional, const aclTensor *x2Optional, const aclTensor *biasOptional, const aclTensor *scalesOptional,
    //     const aclTensor *expertIdxOptional, int64_t dropPadMode, const aclTensor *out, uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnMoeFinalizeRoutingV2GetWorkspaceSize(
        nint expandedX, nint expandedRowIdx, nint x1Optional, nint x2Optional, nint biasOptional, nint scalesOptional, nint expertIdxOptional,
        long dropPadMode, nint output, ulong* workspaceSize, nint* executor);

    // aclnnStatus aclnnGroupedMatmulV4GetWorkspaceSize(const aclTensorList *x, const aclTensorList *weight, const aclTensorList *biasOptional,
    //     const aclTensorList *scaleOptional, const aclTensorList *offsetOptional, const aclTensorList *antiquantScaleOptional,
    //     const aclTensorList *antiquantOffsetOptional, const aclTensorList *perTokenScaleOptional, const aclTensor *groupListOptional,
    //     const aclTensorList *activationInputOptional, const aclTensorList *activationQuantScaleOptional,
    //     const aclTensorList *activationQuantOffsetOptional, int64_t splitItem, int64_t groupType, int64_t groupListType,
    //     int64_t actType, aclTensorList *out, aclTensorList *activationFeatureOutOptional, aclTensorList *dynQuantScaleOutOptional,
    //     uint64_t *workspaceSize, aclOpExecutor **executor);
    [LibraryImport(Ops)]
    public static partial int aclnnGroupedMatmulV4GetWorkspaceSize(
        nint x, nint weight, nint biasOptional, nint scaleOptional, nint offsetOptional, nint antiquantScaleOptional, nint antiquantOffsetOptional,
        nint perTokenScaleOptional, nint groupListOptional, nint activationInputOptional, nint activationQuantScaleOptional,
        nint activationQuantOffsetOptional, long splitItem, long groupType, long groupListType, long actType, nint output,
        nint activationFeatureOutOptional, nint dynQuantScaleOutOptional, ulong* workspaceSize, nint* executor);

    /// <summary>aclDataType values.</summary>
    public const int Float = 0, Float16 = 1, Int32 = 3, Int64 = 9, BFloat16 = 27;

    /// <summary>aclFormat ACL_FORMAT_ND.</summary>
    public const int FormatNd = 2;
}
