# Elementwise kernels of the engine (ORC has no float accumulate, so the
# convolutions and pooled reductions stay in plain C with OpenMP).

# One LIF timestep: h = v * decay + current; spike = h >= threshold;
# v_next = spike ? 0 : h (hard reset). fired counts the spikes.
.function esdnet_orc_lif_step_f32
.dest 4 v_next float
.dest 4 spikes float
.source 4 v float
.source 4 current float
.accumulator 4 fired int
.floatparam 4 decay
.floatparam 4 threshold
.const 4 c_one_f 0x3f800000
.const 4 c_one 1
.temp 4 h
.temp 4 mask
.temp 4 bit

mulf h, v, decay
addf h, h, current
cmplef mask, threshold, h
andl spikes, mask, c_one_f
andnl v_next, mask, h
andl bit, mask, c_one
accl fired, bit
