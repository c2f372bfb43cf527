"""Cross-check rows for npx.convolution, deconvolution and pooling (ndgrad/rules/conv.py):
each ndgrad call and its torch.nn.functional equivalent."""

import torch

from ndgrad import npx
from tests.crosscheck.engines import Op, distinct, uniform

F = torch.nn.functional

CONV = [
    Op(
        'convolution/2d-stride-pad',
        lambda x, w, b: npx.convolution(
            x, w, b, kernel=(2, 2), stride=(2, 1), pad=(1, 0), num_filter=3
        ),
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0)),
        uniform((2, 2, 4, 3), (3, 2, 2, 2), (3,)),
    ),
    Op(
        'convolution/1d-dilate-groups',
        lambda x, w: npx.convolution(
            x, w, kernel=(2,), dilate=(2,), num_filter=4, num_group=2, no_bias=True
        ),
        lambda x, w: F.conv1d(x, w, dilation=2, groups=2),
        uniform((1, 2, 5), (4, 1, 2)),
    ),
    Op(
        'deconvolution/2d-stride',
        lambda x, w: npx.deconvolution(
            x, w, kernel=(2, 2), stride=(2, 2), num_filter=2, no_bias=True
        ),
        lambda x, w: F.conv_transpose2d(x, w, stride=2),
        uniform((1, 3, 2, 2), (3, 2, 2, 2)),
    ),
    Op(
        'pooling/avg-2d',
        lambda x: npx.pooling(x, kernel=(2, 2), stride=(1, 1), pool_type='avg'),
        lambda x: F.avg_pool2d(x, 2, stride=1),
        uniform((1, 2, 3, 3)),
    ),
    Op(
        'pooling/max-1d',
        lambda x: npx.pooling(x, kernel=(2,), stride=(2,), pool_type='max'),
        lambda x: F.max_pool1d(x, 2, stride=2),
        distinct((2, 1, 4)),
    ),
    Op(
        'pooling/global-avg',
        lambda x: npx.pooling(x, pool_type='avg', global_pool=True),
        lambda x: x.mean(dim=(2, 3), keepdim=True),
        uniform((2, 3, 2, 2)),
    ),
]
