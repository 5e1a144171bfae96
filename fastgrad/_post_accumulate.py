"""What the engine runs after it has accumulated a leaf's gradient into .grad: the leaf's
post-accumulate-grad hooks (torch's Tensor.register_post_accumulate_grad_hook), at once during
the backward pass when the leaf's gradient is complete; and the callbacks queued for the end of
the backward() running now (torch's queue_callback). DistributedDataParallel builds on both:
it starts averaging a bucket of gradients as soon as the bucket is full and waits at the end."""
import weakref

hooks = {}      # id(leaf) -> (a weak reference to the leaf, {handle id: hook(leaf)})
callbacks = []  # run once, after the running backward() has accumulated every gradient


def hooks_of(t):
    """t's post-accumulate hooks, {handle id: hook}; the entry goes when t does."""
    key = id(t)
    if key not in hooks:
        hooks[key] = (weakref.ref(t, lambda _: hooks.pop(key, None)), {})
    return hooks[key][1]


def run_hooks(leaf):
    for fn in list(hooks[id(leaf)][1].values()):
        fn(leaf)


def queue_callback(fn):
    """fn() runs once at the end of the backward() that is running now."""
    callbacks.append(fn)


def take_callbacks():
    taken = callbacks[:]
    callbacks.clear()
    return taken


class EarlyLeaves:
    """The leaves of one backward pass that have post-accumulate hooks, each with the number of
    graph edges that have still to deliver a gradient to it."""

    def __init__(self, consumers, grads, leaf_grads):
        self.waiting = {}
        for node in consumers:
            for parent in node.parents:  # a node's id is never a live leaf's
                if id(parent) in hooks:
                    self.waiting[id(parent)] = self.waiting.get(id(parent), 0) + 1
        # the roots' gradients, which a leaf must not keep without a copy
        self.stored = {id(g) for g in grads.values()} | {id(g) for _, g in leaf_grads.values()}

    def complete(self, leaf):
        """Counts one delivery to leaf; True when it was the last."""
        left = self.waiting.get(id(leaf))
        if left is None:
            return False
        self.waiting[id(leaf)] = left - 1
        return left == 1
