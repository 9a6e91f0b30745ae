"""A synthetic .ncd program of any size: pre-norm residual blocks of five boxes each.

>>> text = synthetic(10)
>>> text.count("linear(") == 4
True
"""


def synthetic(boxes: int) -> str:
    """A diagram with ``boxes`` boxes (rounded up to a multiple of five)."""
    lines = ["title \"synthetic\"", "axis b = 16 width", "axis m = 64", "axis k = 16", "axis h = 4", "input X[b m]"]
    for i in range(-(-boxes // 5)):
        lines += [
            f"N{i} = layernorm(X: m) with affine",
            f"A{i} = linear(N{i}: m -> k h) with bias as L_{{{i}a}}",
            f"A{i} = gelu(A{i})",
            f"B{i} = linear(A{i}: k h -> m) as L_{{{i}b}}",
            f"X = X + B{i}",
        ]
    lines.append("output X")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(synthetic(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), end="")
