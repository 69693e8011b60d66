import numpy as np
import scipy.sparse as sp

from topicstance.stance.targets import TargetBlocks


def test_per_target_blocks_carry_the_weight_and_the_shared_block_does_not():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    tb = TargetBlocks(weight=2.5).fit(["Russia", "Ukraine", "Russia"])
    out = tb.transform(X, ["Russia", "Ukraine", "Belarus"])
    assert out.shape == (3, 6)
    assert np.array_equal(out[:, :2], X)  # the shared block, unweighted
    assert np.array_equal(out[0, 2:], [2.5, 5.0, 0.0, 0.0])  # Russia's block
    assert np.array_equal(out[1, 2:], [0.0, 0.0, 7.5, 10.0])  # Ukraine's block
    assert np.array_equal(out[2, 2:], np.zeros(4))  # an unseen target: shared weights only
    assert np.allclose(tb.transform(sp.csr_matrix(X), ["Russia", "Ukraine", "Belarus"]).toarray(), out)
