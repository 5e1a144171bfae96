"""The examples of an introductory course on tensors, linear algebra, calculus and autograd (the
project's seed material), run with `import fastgrad as torch`, with the results the course
prints."""
import fastgrad as torch


def test_autograd_walkthrough():
    x = torch.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * torch.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"

    x.grad.zero_()
    y = x.sum()
    y.backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"

    x.grad.zero_()
    y = x * x
    y.sum().backward()
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"

    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    assert repr(x.grad == u) == "tensor([True, True, True, True])"

    x.grad.zero_()
    y.sum().backward()
    assert repr(x.grad == 2 * x) == "tensor([True, True, True, True])"


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def test_control_flow():
    torch.manual_seed(0)
    a = torch.randn(size=(), requires_grad=True)
    d = f(a)
    d.backward()
    assert repr(a.grad == d / a) == "tensor(True)"


def test_control_flow_both_branches():
    # d = k * a for a k that depends on a. (`a.grad == d / a` itself is False for a few values
    # of a, in PyTorch too, because 100 * b rounds.)
    def expected_k(value):
        k = 2
        while abs(value * k) < 1000:
            k *= 2
        return k if value > 0 else 100 * k

    for value in (0.3, -0.3, 1e-4, -7.0, 1500.0):
        a = torch.tensor(value, requires_grad=True)
        f(a).backward()
        assert a.grad.item() == expected_k(value)


def test_control_flow_second_note():
    def my_func(a):
        while a.norm() < 100:
            a = a * 2
        if a.sum() > 0:
            return a
        return -1 * a

    torch.manual_seed(3)
    a = torch.randn(size=(), requires_grad=True)
    f_a = my_func(a)
    f_a.backward()
    assert repr(a.grad == f_a / a) == "tensor(True)"


def test_vector_backward_with_gradient():
    x = torch.arange(4.0, requires_grad=True)
    assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    y = x * 2
    assert repr(y) == "tensor([0., 2., 4., 6.], grad_fn=<MulBackward0>)"
    y.backward(torch.ones(4))
    assert repr(x.grad) == "tensor([2., 2., 2., 2.])"


def test_scalar_derivatives():
    x = torch.tensor(2, dtype=torch.float64, requires_grad=True)
    y = x * x + 3 * x + 1
    y.backward()
    assert repr(x.grad) == "tensor(7., dtype=torch.float64)"

    x1 = torch.tensor(1.0)
    x2 = torch.tensor(2.0, requires_grad=True)
    y = 3 * x1 * x1 + 9 * x2
    y.backward()
    assert repr(x2.grad) == "tensor(9.)"


def test_matrix_product_gradients():
    mat1 = torch.tensor([[1, 2, 3]], dtype=torch.float64, requires_grad=True)
    mat2 = torch.tensor([[1], [2], [3]], dtype=torch.float64, requires_grad=True)
    assert repr(mat2) == ("tensor([[1.],\n        [2.],\n        [3.]], dtype=torch.float64, "
                          "requires_grad=True)")
    y = torch.mm(mat1, mat2)
    y.backward()
    assert repr(mat1.grad) == "tensor([[1., 2., 3.]], dtype=torch.float64)"
    assert repr(mat2.grad) == "tensor([[1.],\n        [2.],\n        [3.]], dtype=torch.float64)"


def test_tensor_creation():
    assert repr(torch.tensor(1)) == "tensor(1)"
    assert repr(torch.tensor([1])) == "tensor([1])"
    assert repr(torch.tensor([1, 2], dtype=torch.float64)) == "tensor([1., 2.], dtype=torch.float64)"


def test_scalars():
    x = torch.tensor(3.0)
    y = torch.tensor(2.0)
    assert [repr(v) for v in (x + y, x * y, x / y, x ** y)] == [
        "tensor(5.)", "tensor(6.)", "tensor(1.5000)", "tensor(9.)"]


def test_vectors_and_matrices():
    x = torch.arange(4)
    assert repr(x) == "tensor([0, 1, 2, 3])"
    assert repr(x[3]) == "tensor(3)"
    assert len(x) == 4
    assert repr(x.shape) == "torch.Size([4])"
    A = torch.arange(20).reshape(5, 4)
    assert repr(A) == ("tensor([[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11],\n"
                       "        [12, 13, 14, 15],\n        [16, 17, 18, 19]])")
    assert repr(A.T) == ("tensor([[ 0,  4,  8, 12, 16],\n        [ 1,  5,  9, 13, 17],\n"
                         "        [ 2,  6, 10, 14, 18],\n        [ 3,  7, 11, 15, 19]])")


def test_tensor_arithmetic_and_hadamard():
    a = 2
    X = torch.arange(24).reshape(2, 3, 4)
    assert (a + X).tolist()[1][2] == [22, 23, 24, 25]
    assert (a * X).shape == (2, 3, 4)
    assert repr((a * X).shape) == "torch.Size([2, 3, 4])"
    A = torch.arange(20, dtype=torch.float32).reshape(5, 4)
    B = A.clone()
    assert (A * B)[4].tolist() == [256.0, 289.0, 324.0, 361.0]


def test_reductions():
    x = torch.arange(4, dtype=torch.float32)
    assert repr(x.sum()) == "tensor(6.)"
    A = torch.arange(20, dtype=torch.float32).reshape(5, 4)
    assert repr(A.sum()) == "tensor(190.)"
    assert repr(A.sum(axis=0)) == "tensor([40., 45., 50., 55.])"
    assert repr(A.sum(axis=1)) == "tensor([ 6., 22., 38., 54., 70.])"
    assert repr(A.sum(axis=[0, 1])) == "tensor(190.)"
    assert repr(A.mean()) == "tensor(9.5000)"
    assert repr(A.sum() / A.numel()) == "tensor(9.5000)"
    assert repr(A.mean(axis=0)) == "tensor([ 8.,  9., 10., 11.])"
    sum_A = A.sum(axis=1, keepdims=True)
    assert repr(sum_A) == "tensor([[ 6.],\n        [22.],\n        [38.],\n        [54.],\n        [70.]])"
    assert repr(sum_A.shape) == "torch.Size([5, 1])"
    assert repr(A / sum_A) == (
        "tensor([[0.0000, 0.1667, 0.3333, 0.5000],\n"
        "        [0.1818, 0.2273, 0.2727, 0.3182],\n"
        "        [0.2105, 0.2368, 0.2632, 0.2895],\n"
        "        [0.2222, 0.2407, 0.2593, 0.2778],\n"
        "        [0.2286, 0.2429, 0.2571, 0.2714]])")
    assert repr(A.cumsum(axis=0)) == (
        "tensor([[ 0.,  1.,  2.,  3.],\n"
        "        [ 4.,  6.,  8., 10.],\n"
        "        [12., 15., 18., 21.],\n"
        "        [24., 28., 32., 36.],\n"
        "        [40., 45., 50., 55.]])")


def test_products():
    x = torch.arange(4, dtype=torch.float32)
    y = torch.ones(4, dtype=torch.float32)
    assert repr(torch.dot(x, y)) == "tensor(6.)"
    assert repr(torch.sum(x * y)) == "tensor(6.)"
    A = torch.arange(20, dtype=torch.float32).reshape(5, 4)
    assert repr(torch.mv(A, x)) == "tensor([ 14.,  38.,  62.,  86., 110.])"
    B = torch.ones(4, 3)
    assert repr(torch.mm(A, B)) == (
        "tensor([[ 6.,  6.,  6.],\n        [22., 22., 22.],\n        [38., 38., 38.],\n"
        "        [54., 54., 54.],\n        [70., 70., 70.]])")


def test_norms():
    u = torch.tensor([3.0, -4.0])
    assert repr(torch.norm(u)) == "tensor(5.)"
    assert repr(torch.abs(u).sum()) == "tensor(7.)"
    assert repr(torch.norm(torch.ones((4, 9)))) == "tensor(6.)"


def test_backprop_steps_and_zeroing():
    x = torch.tensor([2.0], requires_grad=True)
    y = x ** 2
    z = y * 3
    z.backward()
    assert repr(x.grad) == "tensor([12.])"
    x.grad.zero_()
    assert repr(x.grad) == "tensor([0.])"


def test_vectorization_headline(speedup):
    """The course's experiment: the same matrix product as a for-loop and vectorized."""
    A = torch.randn(64, 64)
    B = torch.randn(64, 64)

    def loop():
        C = [[0.0] * 64 for _ in range(64)]
        a, b = A.tolist(), B.tolist()
        for i in range(64):
            for j in range(64):
                for k in range(64):
                    C[i][j] += a[i][k] * b[k][j]
        return C

    speedup("matmul 64x64: for-loop vs torch.mm", loop, lambda: torch.mm(A, B))
