import CFFTW

/// FFTW wisdom for real-to-complex transforms of 512, 1024 and 2048 points, measured with
/// `FFTW_PATIENT` on the development machine (x86-64, AVX-512, FFTW 3.3.10 from Debian 12) by
/// `tools/bench/fftw_wisdom.c`. Imported once before the first plan: plans for these sizes then use
/// the patiently measured algorithm (about 1.5× faster than `FFTW_ESTIMATE`'s guess for n = 1024)
/// while staying deterministic — the plan comes from this fixed text, not from timing in this
/// process. On another CPU or FFTW build, FFTW rejects the wisdom (it carries a configuration
/// hash and solver names) and planning falls back to `FFTW_ESTIMATE`.
enum EmbeddedWisdom {
    static let text = """
        (fftw-3.3.10 fftwf_wisdom #x9e7d4dee #xdb14fed1 #x34bf76a4 #xeb6e8fdf
          (fftwf_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x0e4912b7 #xa764a950 #x0309f075 #xbeed026d)
          (fftwf_codelet_r2cf_2 2 #x11048 #x11048 #x0 #xc4589152 #x2c904887 #x3df0c9d3 #x054d1070)
          (fftwf_codelet_r2cf_8 2 #x11048 #x11048 #x0 #xe75b944c #x09ac1906 #x449b29ce #x7b6666b0)
          (fftwf_codelet_hc2cfdftv_8_sse2 0 #x11048 #x11048 #x0 #x3f67885c #x1d118905 #x1b4c027b #x7ecffc87)
          (fftwf_codelet_t2fv_2_avx 0 #x11048 #x11048 #x0 #x17fbf099 #xff0d04f9 #x27f8a3ed #x01c0ab6a)
          (fftwf_codelet_t2fv_64_avx 0 #x11048 #x11048 #x0 #xc6ca45ce #xf08c5f4a #x61a53ade #xe5e374c8)
          (fftwf_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x03406dff #xc8fa0a2c #x62a9a61e #xa394d874)
          (fftwf_codelet_r2cfII_8 2 #x11048 #x11048 #x0 #xb6399110 #x4c96f9f0 #xaab72706 #x16fd8170)
          (fftwf_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #x9b151a0c #x184dc547 #xf430fa14 #x84092ef6)
          (fftwf_codelet_hc2cfdftv_8_sse2 0 #x11048 #x11048 #x0 #x85773c49 #x9a968ccc #xbd37e819 #xac77e6a4)
          (fftwf_codelet_r2cfII_2 2 #x11048 #x11048 #x0 #xf4706e13 #x6e8bbca0 #x9c704b36 #x8e8181fc)
          (fftwf_codelet_hc2cfdft_2 0 #x11048 #x11048 #x0 #xc447d79d #x3bb36c12 #x2e7c8386 #xc241521c)
          (fftwf_codelet_r2cfII_8 2 #x11048 #x11048 #x0 #x76fa2a50 #xf4668261 #xbf8b003e #xbfa64206)
          (fftwf_codelet_n2fv_16_avx 0 #x11048 #x11048 #x0 #xf246dd1d #x433be1dd #x669fbc87 #xe433ec82)
          (fftwf_codelet_r2cf_8 2 #x11048 #x11048 #x0 #xffbbd2d6 #x1e2662c0 #x80466bbc #x2e3a8851)
        )
        """

    /// Imports ``text``; returns whether FFTW accepted it. Call under the planner lock.
    static func importOnce() -> Bool { fftwf_import_wisdom_from_string(text) == 1 }
}
