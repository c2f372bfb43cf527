"""``import ndgrad.mxnet_alias`` makes ``import mxnet`` give ndgrad; nothing else does.

Each test runs in a fresh interpreter: the alias changes ``sys.meta_path`` for good.
"""

import subprocess
import sys
import textwrap


def run(code):
    result = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_ndgrad_never_installs_or_shadows_mxnet():
    out = run("""
        import importlib, pkgutil, sys
        import ndgrad
        for info in pkgutil.walk_packages(ndgrad.__path__, prefix='ndgrad.'):
            if info.name not in ('ndgrad.mxnet_alias', 'ndgrad.__main__', 'ndgrad.demo'):
                importlib.import_module(info.name)
        assert not any(name == 'mxnet' or name.startswith('mxnet.') for name in sys.modules)
        assert not any('MXNetAlias' in type(f).__name__ for f in sys.meta_path)
        spec = importlib.util.find_spec('mxnet')
        assert spec is None or 'ndgrad' not in str(spec.origin)
        print('ok')
    """)
    assert out.strip() == 'ok'


def test_the_books_imports_resolve_to_ndgrad():
    run("""
        import sys
        import ndgrad, ndgrad.gluon, ndgrad.init
        import ndgrad.mxnet_alias
        import mxnet as mx
        from mxnet import autograd, context, gluon, image, init, np, npx
        from mxnet.gluon import nn, loss as gloss, data as gdata
        from mxnet.gluon.data.vision import transforms
        import mxnet.gluon.nn
        assert (autograd, gluon, init, np, npx) == (ndgrad.autograd, ndgrad.gluon, ndgrad.init,
                                                    ndgrad.np, ndgrad.npx)
        assert nn is ndgrad.gluon.nn and gloss is ndgrad.gluon.loss
        assert gdata is ndgrad.gluon.data and transforms is gdata.vision.transforms
        assert sys.modules['mxnet.gluon'] is ndgrad.gluon and mx.gluon is ndgrad.gluon
        assert mx.np is np and mx.npx is npx and mx.image is image
        import mxnet.numpy, mxnet.numpy_extension, mxnet.initializer
        assert mxnet.numpy is np and mxnet.numpy_extension is npx and mxnet.initializer is init
        assert mx.random.seed is np.random.seed
        assert mx.cpu() == npx.cpu() == context.cpu() == mx.context.current_context()
        assert mx.context.num_gpus() == mx.num_gpus() == 0
        assert mx.__version__ == '1.9.1'
        import ndgrad.mxnet_alias as again
        again.install()
        assert sum('MXNetAlias' in type(f).__name__ for f in sys.meta_path) == 1
    """)


def test_gpu_unknown_names_and_image_decoding_are_clear_errors():
    run("""
        import ndgrad.mxnet_alias
        import mxnet as mx
        from mxnet import image, np
        try:
            mx.gpu()
        except RuntimeError as e:
            assert 'CuPy' in str(e) and 'cpu()' in str(e)
        else:
            raise AssertionError('mx.gpu() should raise')
        for stmt in ('import mxnet.nd', 'from mxnet.gluon.model_zoo import vision'):
            try:
                exec(stmt)
            except ImportError as e:
                assert 'not provided by ndgrad' in str(e), e
            else:
                raise AssertionError(stmt)
        try:
            mx.nd
        except AttributeError as e:
            assert 'not provided by ndgrad' in str(e)
        for fn in (image.imread, image.imdecode):
            try:
                fn('cat.jpg')
            except NotImplementedError as e:
                assert 'np.array(' in str(e)
        img = np.arange(48, dtype='uint8').reshape(4, 4, 3)
        out, box = image.random_crop(img, (2, 3))
        assert out.shape == (3, 2, 3) and box[2:] == (2, 3)
        out, box = image.center_crop(img, (2, 2))
        assert box == (1, 1, 2, 2) and (out == img[1:3, 1:3]).all()
        assert image.fixed_crop(img, 0, 0, 4, 4, size=(2, 2)).shape == (2, 2, 3)
        assert image.imresize(img, 8, 6).shape == (6, 8, 3)
    """)


def test_refuses_to_shadow_a_real_mxnet_already_imported():
    run("""
        import sys, types
        sys.modules['mxnet'] = types.ModuleType('mxnet')
        try:
            import ndgrad.mxnet_alias
        except ImportError as e:
            assert 'already imported' in str(e)
        else:
            raise AssertionError('should refuse')
    """)


def test_mxnet_code_trains_unchanged():
    out = run("""
        import ndgrad.mxnet_alias
        from mxnet import autograd, gluon, init, np, npx
        from mxnet.gluon import nn
        npx.set_np()
        np.random.seed(0)
        true_w, true_b = np.array([2, -3.4]), 4.2
        X = np.random.normal(0, 1, (1000, 2))
        y = np.dot(X, true_w) + true_b
        loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), 10, shuffle=True)
        net = nn.Sequential()
        net.add(nn.Dense(1))
        net.initialize(init.Normal(sigma=0.01))
        loss = gluon.loss.L2Loss()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})
        for epoch in range(3):
            for Xb, yb in loader:
                with autograd.record():
                    l = loss(net(Xb), yb)
                l.backward()
                trainer.step(Xb.shape[0])
        print(float(np.abs(net[0].weight.data() - true_w).max()))
    """)
    assert float(out) < 0.01
